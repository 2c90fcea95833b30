/**
 * Retention (issue 6 §6): rows older than the retention period are deleted, so the database does
 * not grow without bound. Same SQL for both dialects, except how a batch locks its deliveries.
 *
 * What goes, older than the cutoff:
 * - deliveries in a final state (FINAL_STATES) with their attempts;
 * - notifications that have no deliveries left (or never had any: nobody was routed);
 * - events already folded into a notification (processed).
 * What stays: anything a worker may still act on, pending events, group_states (the notifier expires
 * those itself, deleteIdleGroups), and the audit log: it is the security record of who changed
 * settings, users and tokens, kept for as long as the database lives; it grows by admin actions only.
 *
 * Deleting must not stall intake or the worker: every statement touches at most `batch` rows, each
 * batch of deliveries is its own short transaction, and every batch's SELECT walks an index from
 * where the previous batch ended (migration 0004), so a batch costs the same on a table of any size
 * and a pass reads each old row about once. The deletes repeat the conditions that may have changed
 * since their SELECT, so such a row is left alone.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { sql, type Kysely } from 'kysely'
import type { Dialect } from './dialect.js'
import { ms } from './mapping.js'
import type { Database } from './schema.js'

type Db = Kysely<Database>

export interface PruneCounts {
  readonly events: number
  readonly notifications: number
  readonly deliveries: number
  readonly attempts: number
}

/**
 * States no worker will act on again (src/outbox/records.ts DELIVERY_STATES): never queued, sending,
 * retrying or unknown (the last is retried with the same Message-ID). A 'failed' row can still be
 * retried by hand (retryDelivery) until it is pruned: after the retention period that is intended.
 */
export const FINAL_STATES = ['sent', 'failed', 'suppressed'] as const
export type FinalState = (typeof FINAL_STATES)[number]

/**
 * Written out with literals, word for word the predicate of the partial index `deliveries_finished`
 * (migrations/0004): SQLite only uses a partial index whose WHERE terms appear in the query, and a
 * bound parameter never matches one.
 */
const IS_FINAL = sql<boolean>`state IN ('sent', 'failed', 'suppressed')`

/** Largest rows per statement (the Pruner's default is 2,000): keeps an IN list well under SQLite's 32,766 bound parameters. */
export const MAX_PRUNE_BATCH = 10_000

export interface PruneOptions {
  /** Checked before each batch: an aborted pass stops after the batch in progress and returns what it deleted. */
  readonly signal?: AbortSignal | undefined
}

/**
 * Deletes, batch by batch, what is older than `cutoff`: attempts and final deliveries first, then the
 * notifications left without deliveries, then processed events (children before parents).
 */
export async function pruneBefore(
  db: Db,
  dialect: Dialect,
  cutoff: Date,
  batch: number,
  opts: PruneOptions = {},
): Promise<PruneCounts> {
  const limit = Math.min(MAX_PRUNE_BATCH, Math.max(1, Math.trunc(batch)))
  const before = cutoff.getTime()
  let deliveries = 0
  let attempts = 0
  let notifications = 0
  let events = 0
  // better-sqlite3 answers synchronously, so a pass of many batches would never give the event loop
  // a turn: intake's HTTP requests would wait for the whole pass (seconds), not for one batch. Each
  // batch starts on a new turn, after whatever I/O came in meanwhile.
  const go = async () => {
    await nextTurn()
    return opts.signal?.aborted !== true
  }
  for (const state of FINAL_STATES) {
    while (await go()) {
      const n = await pruneDeliveryBatch(db, dialect, state, before, limit)
      deliveries += n.deliveries
      attempts += n.attempts
      if (n.selected < limit) break
    }
  }
  let page: NotificationKey | undefined
  while (await go()) {
    const n = await pruneNotificationBatch(db, before, page, limit)
    notifications += n.deleted
    if (n.last === undefined) break
    page = n.last
  }
  let from: number | undefined
  while (await go()) {
    const n = await pruneEventBatch(db, before, from, limit)
    events += n.deleted
    if (n.last === undefined) break
    from = n.last
  }
  return { events, notifications, deliveries, attempts }
}

/*
 * Every SELECT below is ordered along the index it should use and limited. The order is not for its
 * own sake: PostgreSQL runs these as named prepared statements (postgres/postgres-kysely.ts), and
 * after five runs may switch to a generic plan, planned without the cutoff's value (it assumes a third
 * of the table is older). Unordered, a LIMIT makes a sequential scan look cheap to that plan, and it
 * would then read the whole table on the last batch of every pass; ordered, only the index avoids
 * sorting, so it stays the plan.
 */

/**
 * Final deliveries of one state that ended before the cutoff, oldest first (deliveries_finished:
 * state, updated_at). `updated_at` is when a delivery ended: the last write to a final row is the one
 * that made it final (sent, dead-lettered, or created suppressed); `created_at` would prune a delivery
 * that retried for days as soon as it finished.
 * On PostgreSQL the rows are locked (FOR UPDATE SKIP LOCKED) until the batch commits: an operator's
 * manual retry of one of them waits, then finds it gone, instead of reviving a delivery whose
 * attempts were just deleted; two servers pruning at once take different rows.
 */
export function selectFinalDeliveries(
  db: Db,
  dialect: Dialect,
  state: FinalState,
  before: number,
  limit: number,
) {
  const q = db
    .selectFrom('deliveries')
    .select('id')
    .where('state', '=', state)
    .where(IS_FINAL)
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit)
  return dialect === 'postgres' ? q.forUpdate().skipLocked() : q
}

/** Where the previous page of notifications ended. */
type NotificationKey = readonly [createdAt: number, id: string]

/**
 * Notifications created before the cutoff, in (created_at, id) order after `page` (notifications_created).
 * `created_at` is safe: a notification's deliveries are written with it and none is ever added later,
 * so one whose deliveries were all pruned was necessarily created before they ended. Whether a
 * delivery is left is checked by the DELETE, row by row: a page walks on past the notifications that
 * still have deliveries (unfinished, or finished after the cutoff) instead of reading them again.
 */
export function selectOldNotifications(
  db: Db,
  before: number,
  page: NotificationKey | undefined,
  limit: number,
) {
  let q = db.selectFrom('notifications').select(['id', 'created_at']).where('created_at', '<', before)
  if (page !== undefined)
    q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(page[0], page[1])))
  return q.orderBy('created_at').orderBy('id').limit(limit)
}

/**
 * Processed events received before the cutoff, oldest first (events_received), from `from` on: rows
 * before it were read by the previous batch and are pending or processed late, kept in this pass.
 * `processed_at` must be before the cutoff too, so an event that waited long (the notifier was down)
 * stays as long as the fresh notification built from it. Pending events (processed_at NULL) never match.
 */
export function selectOldEvents(db: Db, before: number, from: number | undefined, limit: number) {
  let q = db.selectFrom('events').select(['id', 'received_at']).where('received_at', '<', before)
  if (from !== undefined) q = q.where('received_at', '>=', from)
  return q.where('processed_at', '<', before).orderBy('received_at').limit(limit)
}

async function pruneDeliveryBatch(
  db: Db,
  dialect: Dialect,
  state: FinalState,
  before: number,
  limit: number,
): Promise<{ selected: number; deliveries: number; attempts: number }> {
  return writeTransaction(db, dialect, async (trx) => {
    const ids = (await selectFinalDeliveries(trx, dialect, state, before, limit).execute()).map((r) => r.id)
    if (ids.length === 0) return { selected: 0, deliveries: 0, attempts: 0 }
    // A delivery has at most the retry policy's maxAttempts per enqueue or manual retry; rely on
    // nothing: each DELETE removes at most `limit` attempts (delivery_attempts_delivery).
    let attempts = 0
    for (;;) {
      const r = await trx
        .deleteFrom('delivery_attempts')
        .where('id', 'in', (eb) =>
          eb.selectFrom('delivery_attempts').select('id').where('delivery_id', 'in', ids).limit(limit),
        )
        .executeTakeFirst()
      const n = Number(r.numDeletedRows)
      attempts += n
      if (n < limit) break
    }
    const r = await trx
      .deleteFrom('deliveries')
      .where('id', 'in', ids)
      .where(IS_FINAL)
      .where('updated_at', '<', before)
      .executeTakeFirst()
    return { selected: ids.length, deliveries: Number(r.numDeletedRows), attempts }
  })
}

async function pruneNotificationBatch(
  db: Db,
  before: number,
  page: NotificationKey | undefined,
  limit: number,
): Promise<{ deleted: number; last: NotificationKey | undefined }> {
  const rows = await selectOldNotifications(db, before, page, limit).execute()
  const last = rows.at(-1)
  if (last === undefined) return { deleted: 0, last: undefined }
  // deliveries.notification_id cascades: only a notification without a delivery may go
  // (deliveries_notification answers the NOT EXISTS per row).
  const r = await db
    .deleteFrom('notifications')
    .where(
      'id',
      'in',
      rows.map((n) => n.id),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('deliveries')
            .select('deliveries.id')
            .whereRef('deliveries.notification_id', '=', 'notifications.id'),
        ),
      ),
    )
    .executeTakeFirst()
  return {
    deleted: Number(r.numDeletedRows),
    last: rows.length < limit ? undefined : [ms(last.created_at), last.id],
  }
}

async function pruneEventBatch(
  db: Db,
  before: number,
  from: number | undefined,
  limit: number,
): Promise<{ deleted: number; last: number | undefined }> {
  const rows = await selectOldEvents(db, before, from, limit).execute()
  const last = rows.at(-1)
  if (last === undefined) return { deleted: 0, last: undefined }
  // Processed events are never written again, so no condition can have changed since the SELECT.
  const r = await db
    .deleteFrom('events')
    .where(
      'id',
      'in',
      rows.map((e) => e.id),
    )
    .executeTakeFirst()
  return { deleted: Number(r.numDeletedRows), last: rows.length < limit ? undefined : ms(last.received_at) }
}

/**
 * PostgreSQL: an ordinary transaction. SQLite: BEGIN IMMEDIATE, which takes the write lock before the
 * first read and waits for it under busy_timeout; a deferred transaction that reads and then writes
 * fails at once with SQLITE_BUSY when another process (several may share the file) wrote in between.
 */
async function writeTransaction<T>(db: Db, dialect: Dialect, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (dialect === 'postgres') return db.transaction().execute(fn)
  return db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn)
    try {
      const result = await fn(conn)
      await sql`COMMIT`.execute(conn)
      return result
    } catch (err) {
      // After SQLITE_FULL and the like SQLite has rolled back already; the driver setup
      // (sqlite/sqlite-kysely.ts) turns this ROLLBACK into a no-op then.
      await sql`ROLLBACK`.execute(conn)
      throw err
    }
  })
}
