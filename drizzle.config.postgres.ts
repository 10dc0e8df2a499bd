import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate --config drizzle.config.postgres.ts` diffs the PostgreSQL schema against
// migrations/postgres/meta and writes new SQL; it never opens a database. The migrations are written for
// the schema "speakup" and applied at start under the configured schema name (src/db/postgres/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/postgres/schema-default.ts',
  out: './migrations/postgres',
  strict: true,
  verbose: true,
});
