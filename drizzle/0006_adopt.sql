ALTER TABLE `jobs` ADD `missing_secrets` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `installation_id` text;