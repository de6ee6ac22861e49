CREATE TABLE `restores` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`target` text NOT NULL,
	`via` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`owner` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`scratch` text DEFAULT '[]' NOT NULL,
	`progress_chat_id` integer,
	`progress_message_id` integer,
	`error` text
);
--> statement-breakpoint
CREATE TABLE `stopped_containers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`container_id` text NOT NULL,
	`name` text NOT NULL,
	`stopped_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `owner` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `progress_chat_id` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `progress_message_id` integer;