import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Indexes for retention (src/store/retention-queries.ts), so each pruning batch reads only the rows
 * it deletes instead of scanning a table that grows by every mail sent. The SQL is the same for both
 * dialects.
 *
 * - `deliveries_finished`: partial, only rows in a final state, by state and when they ended. Partial
 *   so that the worker's state changes (queued → sending → retrying …) never touch it: a row enters it
 *   once, when it is sent, failed or suppressed. The predicate is written with literals on purpose,
 *   and the prune query repeats it word for word: SQLite uses a partial index only when the query's
 *   WHERE contains the index's terms, and it cannot match a bound parameter against them
 *   (sqlite.org/partialindex.html §2). `state` leads although the predicate already restricts it:
 *   the prune reads one state at a time, oldest first, which this index serves without a sort; on
 *   `updated_at` alone, SQLite's planner (no ANALYZE statistics) preferred deliveries_lease for the
 *   state equality and read every sent row of the table on the last batch of each pass.
 *   test/store/retention.test.ts checks that both planners use this index.
 * - `notifications_created`: notifications that no longer have deliveries are found by age, paged by
 *   (created_at, id) past those that still have some.
 *
 * Events need nothing new: `events_received` (0002) already orders them by received_at.
 */
export function retentionIndexes(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('deliveries_finished')
        .on('deliveries')
        .columns(['state', 'updated_at'])
        .where(sql<boolean>`state IN ('sent', 'failed', 'suppressed')`)
        .execute()
      await db.schema
        .createIndex('notifications_created')
        .on('notifications')
        .columns(['created_at', 'id'])
        .execute()
    },
  }
}
