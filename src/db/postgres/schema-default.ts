/**
 * The mirror schema under its default name, for drizzle-kit (drizzle.config.postgres.ts): it generates the
 * migrations in migrations/postgres/ from these exports, qualified with "speakup"; the migrator renames
 * that schema to the configured one when it applies them.
 */
import { createPgTables, DEFAULT_PG_SCHEMA } from './schema.js';

export const {
  schema: speakup,
  issues,
  issueSightings,
  issueFieldValues,
  syncRuns,
  issueChanges,
  syncLock,
  eraseLog,
  detailPaths,
  settings,
  issuesFts,
  currentIssues,
  issueFields,
  latestRuns,
} = createPgTables(DEFAULT_PG_SCHEMA);
