ALTER TABLE `jobs` ADD `hooks` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `ping_enc` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `webhook_enc` text;