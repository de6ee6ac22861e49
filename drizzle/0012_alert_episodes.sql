CREATE TABLE `alert_episodes` (
	`job_id` integer PRIMARY KEY NOT NULL,
	`reason_key` text NOT NULL,
	`started_at` integer NOT NULL,
	`count` integer NOT NULL,
	`messages` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
