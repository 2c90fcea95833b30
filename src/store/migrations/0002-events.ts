import { sql, type Kysely, type Migration } from 'kysely'
import type { Dialect } from '../dialect.js'

/**
 * Intake events and the grouper's per-group state (src/notify/port.ts). `events.id` is the monotonic
 * `seq` the grouper uses as its watermark, hence an identity/rowid column.
 */
export function events(dialect: Dialect): Migration {
  const serial = dialect === 'sqlite' ? 'integer' : 'bigserial'
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('events')
        .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('source', 'text')
        .addColumn('category', 'text')
        .addColumn('labels_json', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text')
        .addColumn('occurred_at', 'bigint')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('processed_at', 'bigint')
        // The first notification that covered the event (no FK: notifications may be pruned first).
        .addColumn('notification_id', 'text')
        .execute()
      // The grouper only ever reads pending events: keep that index small (partial, both dialects).
      await db.schema
        .createIndex('events_pending')
        .on('events')
        .columns(['group_key', 'id'])
        .where(sql.ref('processed_at'), 'is', null)
        .execute()
      await db.schema.createIndex('events_received').on('events').column('received_at').execute()

      await db.schema
        .createTable('group_states')
        .addColumn('group_key', 'text', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('opened_at', 'bigint')
        .addColumn('last_sent_at', 'bigint')
        .addColumn('last_count', 'integer', (c) => c.notNull())
        .addColumn('last_event_at', 'bigint')
        .addColumn('total_count', 'integer', (c) => c.notNull())
        .addColumn('last_status', 'text')
        .execute()
    },
  }
}
