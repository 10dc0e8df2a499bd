/**
 * The SQLite schema (Drizzle), as drizzle-kit and the app see it: the tables (schema-tables.ts) and the
 * views (schema-views.ts). `npm run db:generate` turns changes there into SQL under migrations/.
 */
export * from './schema-tables.js';
export * from './schema-views.js';
