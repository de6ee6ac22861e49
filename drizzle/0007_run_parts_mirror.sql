DROP INDEX `run_parts_unique`;--> statement-breakpoint
ALTER TABLE `run_parts` ADD `copy` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `run_parts_unique` ON `run_parts` (`run_id`,`destination_id`,`part_index`,`copy`);