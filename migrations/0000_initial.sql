CREATE TABLE `issue_changes` (
	`id` integer PRIMARY KEY NOT NULL,
	`issue_id` integer NOT NULL,
	`run_id` integer NOT NULL,
	`field` text NOT NULL,
	`old_value` text,
	`new_value` text,
	`observed_at` DATETIME NOT NULL,
	FOREIGN KEY (`issue_id`) REFERENCES `issues`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`run_id`) REFERENCES `sync_runs`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "issue_changes_field_check" CHECK("issue_changes"."field" IN ('status','assignee','domain','due_at','labels')),
	CONSTRAINT "issue_changes_observed_at_iso" CHECK("issue_changes"."observed_at" IS NULL OR "issue_changes"."observed_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
CREATE INDEX `issue_changes_issue_field_idx` ON `issue_changes` (`issue_id`,`field`);--> statement-breakpoint
CREATE TABLE `issue_field_values` (
	`issue_id` integer NOT NULL,
	`position` integer NOT NULL,
	`form_id` text,
	`form_name` text,
	`field_id` text,
	`label` text,
	`type` text,
	`value_text` text,
	`value_number` real,
	`value_json` text,
	PRIMARY KEY(`issue_id`, `position`),
	FOREIGN KEY (`issue_id`) REFERENCES `issues`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `issue_sightings` (
	`issue_id` integer PRIMARY KEY NOT NULL,
	`last_listed_run` integer NOT NULL,
	`last_seen_at` DATETIME NOT NULL,
	FOREIGN KEY (`issue_id`) REFERENCES `issues`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "issue_sightings_last_seen_at_iso" CHECK("issue_sightings"."last_seen_at" IS NULL OR "issue_sightings"."last_seen_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
CREATE INDEX `issue_sightings_last_listed_run_idx` ON `issue_sightings` (`last_listed_run`);--> statement-breakpoint
CREATE TABLE `issues` (
	`id` integer PRIMARY KEY NOT NULL,
	`custom_id` text,
	`created_at` DATETIME,
	`updated_at` DATETIME NOT NULL,
	`summary` text,
	`description` text,
	`status` text,
	`issue_type` text,
	`channel` text,
	`domain_id` integer,
	`domain_name` text,
	`assignee_id` text,
	`assignee_name` text,
	`assignee_email` text,
	`labels` text,
	`received_at` DATETIME,
	`acknowledged_at` DATETIME,
	`due_at` DATETIME,
	`closed_at` DATETIME,
	`data` text NOT NULL,
	`synced_at` DATETIME NOT NULL,
	`first_seen_at` DATETIME NOT NULL,
	`deleted_at` DATETIME,
	CONSTRAINT "issues_created_at_iso" CHECK("issues"."created_at" IS NULL OR "issues"."created_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "issues_updated_at_iso" CHECK("issues"."updated_at" IS NULL OR "issues"."updated_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "issues_received_at_iso" CHECK("issues"."received_at" IS NULL OR "issues"."received_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "issues_acknowledged_at_iso" CHECK("issues"."acknowledged_at" IS NULL OR "issues"."acknowledged_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "issues_due_at_iso" CHECK("issues"."due_at" IS NULL OR "issues"."due_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "issues_closed_at_iso" CHECK("issues"."closed_at" IS NULL OR "issues"."closed_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "issues_synced_at_iso" CHECK("issues"."synced_at" IS NULL OR "issues"."synced_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "issues_first_seen_at_iso" CHECK("issues"."first_seen_at" IS NULL OR "issues"."first_seen_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "issues_deleted_at_iso" CHECK("issues"."deleted_at" IS NULL OR "issues"."deleted_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
CREATE INDEX `issues_updated_at_idx` ON `issues` (`updated_at`);--> statement-breakpoint
CREATE INDEX `issues_status_idx` ON `issues` (`status`);--> statement-breakpoint
CREATE INDEX `issues_domain_id_idx` ON `issues` (`domain_id`);--> statement-breakpoint
CREATE INDEX `issues_deleted_at_idx` ON `issues` (`deleted_at`);--> statement-breakpoint
CREATE INDEX `issues_received_at_idx` ON `issues` (`received_at`);--> statement-breakpoint
CREATE TABLE `sync_lock` (
	`id` integer PRIMARY KEY NOT NULL,
	`pid` integer NOT NULL,
	`host` text NOT NULL,
	`run_id` integer,
	`acquired_at` DATETIME NOT NULL,
	`heartbeat_at` DATETIME NOT NULL,
	CONSTRAINT "sync_lock_single_row" CHECK("sync_lock"."id" = 1),
	CONSTRAINT "sync_lock_acquired_at_iso" CHECK("sync_lock"."acquired_at" IS NULL OR "sync_lock"."acquired_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "sync_lock_heartbeat_at_iso" CHECK("sync_lock"."heartbeat_at" IS NULL OR "sync_lock"."heartbeat_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
CREATE TABLE `sync_runs` (
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
	CONSTRAINT "sync_runs_status_check" CHECK("sync_runs"."status" IN ('running','succeeded','partial','failed','interrupted')),
	CONSTRAINT "sync_runs_trigger_check" CHECK("sync_runs"."trigger" IN ('manual','scheduled','startup')),
	CONSTRAINT "sync_runs_full_check" CHECK("sync_runs"."full" IN (0, 1)),
	CONSTRAINT "sync_runs_started_at_iso" CHECK("sync_runs"."started_at" IS NULL OR "sync_runs"."started_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "sync_runs_finished_at_iso" CHECK("sync_runs"."finished_at" IS NULL OR "sync_runs"."finished_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z'),
	CONSTRAINT "sync_runs_heartbeat_at_iso" CHECK("sync_runs"."heartbeat_at" IS NULL OR "sync_runs"."heartbeat_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
CREATE VIEW `current_issues` AS select "issues"."id", "issues"."custom_id", "issues"."summary", "issues"."description", "issues"."status", "issues"."issue_type", "issues"."channel", "issues"."domain_id", "issues"."domain_name", "issues"."assignee_id", "issues"."assignee_name", "issues"."assignee_email", "issues"."labels", "issues"."created_at", "issues"."updated_at", "issues"."received_at", "issues"."acknowledged_at", "issues"."due_at", "issues"."closed_at", "issues"."first_seen_at", "issue_sightings"."last_seen_at", "issues"."synced_at" from "issues" left join "issue_sightings" on "issue_sightings"."issue_id" = "issues"."id" where "issues"."deleted_at" is null;--> statement-breakpoint
CREATE VIEW `issue_fields` AS select "issue_field_values"."issue_id", "issues"."custom_id", "issues"."summary", "issues"."status", "issues"."domain_id", "issues"."domain_name", "issue_field_values"."position", "issue_field_values"."form_id", "issue_field_values"."form_name", "issue_field_values"."field_id", "issue_field_values"."label", "issue_field_values"."type", "issue_field_values"."value_text", "issue_field_values"."value_number", "issue_field_values"."value_json" from "issue_field_values" inner join "issues" on "issues"."id" = "issue_field_values"."issue_id" where "issues"."deleted_at" is null;--> statement-breakpoint
CREATE VIEW `latest_runs` AS select "id", "started_at", "finished_at", round((julianday("finished_at") - julianday("started_at")) * 86400, 3) as "duration_seconds", "status", "trigger", "full", "listed", "fetched", "unchanged", "deleted", "failed", "requests", "retries", "throttled", "error", "pid", "host" from "sync_runs" order by "sync_runs"."id" DESC;