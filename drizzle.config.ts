import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` diffs src/db/schema.ts against migrations/meta and writes new SQL; it never opens
// a database. The app applies migrations itself at start (src/db/open.ts), so no dbCredentials here.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations',
  strict: true,
  verbose: true,
});
