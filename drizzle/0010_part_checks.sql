ALTER TABLE `run_parts` ADD `checked_at` integer;--> statement-breakpoint
ALTER TABLE `run_parts` ADD `lost_at` integer;--> statement-breakpoint
ALTER TABLE `run_parts` ADD `lost_reason` text;
