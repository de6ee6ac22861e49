ALTER TABLE `runs` ADD `error_key` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `error_params` text;