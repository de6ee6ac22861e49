ALTER TABLE `jobs` ADD `drill` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `drill_identity_enc` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `anomaly` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `inventory` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `anomalies` text;--> statement-breakpoint
CREATE TABLE `drills` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer,
	`job_name` text NOT NULL,
	`run_id` integer,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`level` text,
	`owner` text NOT NULL,
	`source_id` integer,
	`scratch` text,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`duration_ms` integer,
	`restore_ms` integer,
	`tables` integer,
	`differences` text DEFAULT '[]' NOT NULL,
	`error` text,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `drills_job` ON `drills` (`job_id`,`id`);
