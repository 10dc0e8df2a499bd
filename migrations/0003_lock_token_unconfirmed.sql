ALTER TABLE `sync_lock` ADD `token` text;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `unconfirmed` integer DEFAULT 0 NOT NULL;