CREATE TABLE `detail_paths` (
	`path` text PRIMARY KEY NOT NULL,
	`first_seen_run` integer NOT NULL,
	`first_seen_at` DATETIME NOT NULL,
	`last_seen_run` integer NOT NULL,
	`last_seen_at` DATETIME NOT NULL,
	`missing_since_run` integer,
	`details_seen` integer DEFAULT 0 NOT NULL,
	`details_total` integer DEFAULT 0 NOT NULL,
	CONSTRAINT "detail_paths_first_seen_at_iso" CHECK("detail_paths"."first_seen_at" IS NULL OR "detail_paths"."first_seen_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "detail_paths_last_seen_at_iso" CHECK("detail_paths"."last_seen_at" IS NULL OR "detail_paths"."last_seen_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` DATETIME NOT NULL,
	CONSTRAINT "settings_updated_at_iso" CHECK("settings"."updated_at" IS NULL OR "settings"."updated_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `new_paths` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `lost_paths` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `remapped` integer DEFAULT 0 NOT NULL;