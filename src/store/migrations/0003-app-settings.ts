import type { Kysely, Migration } from 'kysely'

/**
 * Small versioned documents shared by every process on the database (the notification grouping
 * policy first; it used to be a file in one host's data dir). `version` is the compare-and-swap
 * counter, as for `settings`. The SQL is the same for both dialects.
 */
export function appSettings(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('app_setting')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value_json', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
    },
  }
}
