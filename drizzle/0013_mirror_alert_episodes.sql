CREATE TABLE `mirror_alert_episodes` (
	`job_id` integer NOT NULL,
	`destination_id` integer NOT NULL,
	`reason_key` text NOT NULL,
	`started_at` integer NOT NULL,
	`count` integer NOT NULL,
	`messages` text DEFAULT '{}' NOT NULL,
	PRIMARY KEY(`job_id`, `destination_id`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`destination_id`) REFERENCES `destinations`(`id`) ON UPDATE no action ON DELETE cascade
);
