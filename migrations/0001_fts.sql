-- Full-text search over each issue's summary, description and text-like field values (hand-written:
-- drizzle-kit has no virtual tables). One row per issue, rowid = issues.id, kept in step by the store
-- inside the same write transaction as the issue (src/db/issue-store.ts), not by triggers: the field text
-- comes from issue_field_values, so a trigger would have to re-aggregate it on every field row.
-- It stores its own copy of the text so snippet()/highlight() work (Datasette, ad-hoc SQL).
-- remove_diacritics 2: "Muller" finds "Müller".
CREATE VIRTUAL TABLE `issues_fts` USING fts5(
	`summary`,
	`description`,
	`field_text`,
	tokenize = 'unicode61 remove_diacritics 2'
);
