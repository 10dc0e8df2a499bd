CREATE TABLE `erase_log` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` DATETIME NOT NULL,
	`action` text NOT NULL,
	`issue_ids` text NOT NULL,
	`os_user` text NOT NULL,
	`host` text NOT NULL,
	CONSTRAINT "erase_log_action_check" CHECK("action" IN ('erase','undo')),
	CONSTRAINT "erase_log_at_iso" CHECK("at" IS NULL OR "at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
-- sync_runs is rebuilt for its trigger CHECK (SQLite cannot alter a CHECK); the migrator runs this
-- with foreign keys off, so issue_changes keeps its rows. The view over it is dropped first and made
-- again after, so the rename works whatever legacy_alter_table says.
DROP VIEW `latest_runs`;--> statement-breakpoint
CREATE TABLE `__new_sync_runs` (
	`id` integer PRIMARY KEY NOT NULL,
	`started_at` DATETIME NOT NULL,
	`finished_at` DATETIME,
	`heartbeat_at` DATETIME,
	`status` text NOT NULL,
	`trigger` text NOT NULL,
	`full` integer DEFAULT false NOT NULL,
	`listed` integer DEFAULT 0 NOT NULL,
	`fetched` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`retries` integer DEFAULT 0 NOT NULL,
	`throttled` integer DEFAULT 0 NOT NULL,
	`error` text,
	`pid` integer,
	`host` text,
	`purged` integer DEFAULT 0 NOT NULL,
	CONSTRAINT "sync_runs_status_check" CHECK("status" IN ('running','succeeded','partial','failed','interrupted')),
	CONSTRAINT "sync_runs_trigger_check" CHECK("trigger" IN ('manual','scheduled','startup','reconcile')),
	CONSTRAINT "sync_runs_full_check" CHECK("full" IN (0, 1)),
	CONSTRAINT "sync_runs_started_at_iso" CHECK("started_at" IS NULL OR "started_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "sync_runs_finished_at_iso" CHECK("finished_at" IS NULL OR "finished_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "sync_runs_heartbeat_at_iso" CHECK("heartbeat_at" IS NULL OR "heartbeat_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
INSERT INTO `__new_sync_runs`("id", "started_at", "finished_at", "heartbeat_at", "status", "trigger", "full", "listed", "fetched", "unchanged", "deleted", "failed", "requests", "retries", "throttled", "error", "pid", "host") SELECT "id", "started_at", "finished_at", "heartbeat_at", "status", "trigger", "full", "listed", "fetched", "unchanged", "deleted", "failed", "requests", "retries", "throttled", "error", "pid", "host" FROM `sync_runs`;--> statement-breakpoint
DROP TABLE `sync_runs`;--> statement-breakpoint
ALTER TABLE `__new_sync_runs` RENAME TO `sync_runs`;--> statement-breakpoint
CREATE VIEW `latest_runs` AS select "id", "started_at", "finished_at", round((julianday("finished_at") - julianday("started_at")) * 86400, 3) as "duration_seconds", "status", "trigger", "full", "listed", "fetched", "unchanged", "deleted", "failed", "requests", "retries", "throttled", "error", "pid", "host" from "sync_runs" order by "sync_runs"."id" DESC;--> statement-breakpoint
-- New nullable columns of issues: added in place (a column CHECK is allowed here) instead of rebuilding
-- the largest table of the mirror.
ALTER TABLE `issues` ADD `purged_at` DATETIME CONSTRAINT "issues_purged_at_iso" CHECK(`purged_at` IS NULL OR `purged_at` GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z');--> statement-breakpoint
ALTER TABLE `issues` ADD `erased_at` DATETIME CONSTRAINT "issues_erased_at_iso" CHECK(`erased_at` IS NULL OR `erased_at` GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z');
