-- issue_changes is rebuilt for its field CHECK only (SQLite cannot alter a CHECK): the same values are
-- accepted, written as one comparison per field, because SQLite evaluates an IN list of three or more
-- constants inside a CHECK by filling a temporary index for every row inserted. Columns, keys and the
-- index are as before; the migrator runs this with foreign keys off, so no row is lost. The CHECKs name
-- columns unqualified, so the final rename leaves them valid whatever legacy_alter_table says.
CREATE TABLE `__new_issue_changes` (
	`id` integer PRIMARY KEY NOT NULL,
	`issue_id` integer NOT NULL,
	`run_id` integer NOT NULL,
	`field` text NOT NULL,
	`old_value` text,
	`new_value` text,
	`observed_at` DATETIME NOT NULL,
	FOREIGN KEY (`issue_id`) REFERENCES `issues`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`run_id`) REFERENCES `sync_runs`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "issue_changes_field_check" CHECK("field" = 'status' OR "field" = 'assignee' OR "field" = 'domain' OR "field" = 'due_at' OR "field" = 'labels'),
	CONSTRAINT "issue_changes_observed_at_iso" CHECK("observed_at" IS NULL OR "observed_at" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')
);
--> statement-breakpoint
INSERT INTO `__new_issue_changes`("id", "issue_id", "run_id", "field", "old_value", "new_value", "observed_at") SELECT "id", "issue_id", "run_id", "field", "old_value", "new_value", "observed_at" FROM `issue_changes`;--> statement-breakpoint
DROP TABLE `issue_changes`;--> statement-breakpoint
ALTER TABLE `__new_issue_changes` RENAME TO `issue_changes`;--> statement-breakpoint
CREATE INDEX `issue_changes_issue_field_idx` ON `issue_changes` (`issue_id`,`field`);
