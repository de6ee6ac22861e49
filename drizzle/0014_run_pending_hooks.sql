ALTER TABLE `runs` ADD `pending_hooks` text;
