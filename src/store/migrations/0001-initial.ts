import type { Kysely, Migration } from 'kysely'
import type { Dialect } from '../dialect.js'

/**
 * The first schema. The SQL is shared; only the identity column and the boolean type differ:
 * SQLite wants INTEGER PRIMARY KEY AUTOINCREMENT (a rowid alias), PostgreSQL an identity column.
 */
export function initial(dialect: Dialect): Migration {
  const serial = dialect === 'sqlite' ? 'integer' : 'bigserial'
  const bool = dialect === 'sqlite' ? 'integer' : 'boolean'
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('settings')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('settings_json', 'text', (c) => c.notNull())
        .addColumn('secrets_json', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('audit_log')
        .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('fields_json', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull().unique())
        .addColumn('enabled', bool, (c) => c.notNull())
        .addColumn('severities_json', 'text', (c) => c.notNull())
        .addColumn('quiet_hours_json', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute()

      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('event_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        // No foreign key: a delivery outlives the user it was routed to (the log keeps it).
        .addColumn('user_id', 'text')
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text_body', 'text', (c) => c.notNull())
        .addColumn('html_body', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('last_code', 'integer')
        .addColumn('last_enhanced', 'text')
        .addColumn('last_reply', 'text')
        .addColumn('fail_reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('queued_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      // The claim scans due rows by state then priority and due time (claimDue's ORDER BY).
      await db.schema.createIndex('deliveries_due').on('deliveries').columns(['state', 'priority', 'next_attempt_at']).execute()
      await db.schema.createIndex('deliveries_lease').on('deliveries').columns(['state', 'lease_until']).execute()
      await db.schema.createIndex('deliveries_log').on('deliveries').columns(['created_at', 'id']).execute()
      await db.schema.createIndex('deliveries_notification').on('deliveries').column('notification_id').execute()

      await db.schema
        .createTable('delivery_attempts')
        .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ms', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('code', 'integer')
        .addColumn('enhanced', 'text')
        .addColumn('reply', 'text')
        .addColumn('transcript_json', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('delivery_attempts_delivery').on('delivery_attempts').column('delivery_id').execute()
    },
  }
}
