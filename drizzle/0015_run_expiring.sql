ALTER TABLE `runs` ADD `expiring_at` integer;
