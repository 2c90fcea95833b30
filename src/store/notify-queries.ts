/**
 * The NotifyStore half of the port (src/notify/port.ts): durable intake and the grouper's state.
 * Same SQL for both dialects.
 */
import type { Insertable, Kysely, Selectable } from 'kysely'
import type { Severity } from '../outbox/index.js'
import type {
  EventStatus,
  GroupCommit,
  GroupCommitResult,
  GroupEvents,
  GroupsCommitResult,
  GroupState,
  NewEvent,
  PendingGroup,
  StoredEvent,
} from '../notify/index.js'
import { date, parseJson } from './mapping.js'
import { insertNotification } from './outbox-queries.js'
import type { Database, EventsTable, GroupStatesTable, Millis } from './schema.js'

type Db = Kysely<Database>

/** 14 columns a row: far below SQLite's bound-parameter limit. */
const EVENT_CHUNK = 1000

const orNull = (d: Date | null): number | null => (d === null ? null : d.getTime())
const dateOrNull = (v: Millis | null): Date | null => (v === null ? null : date(v))

export async function insertEvents(db: Db, events: readonly NewEvent[]): Promise<string[]> {
  if (events.length === 0) return []
  const rows: Insertable<EventsTable>[] = events.map((e) => ({
    severity: e.severity,
    title: e.title,
    message: e.message,
    source: e.source,
    category: e.category,
    labels_json: JSON.stringify(e.labels),
    dedup_key: e.dedupKey,
    occurred_at: orNull(e.occurredAt),
    status: e.status,
    received_at: e.receivedAt.getTime(),
    group_key: e.groupKey,
    processed_at: null,
    notification_id: null,
  }))
  const ids: number[] = []
  const insert = async (trx: Db): Promise<void> => {
    for (let i = 0; i < rows.length; i += EVENT_CHUNK) {
      const got = await trx.insertInto('events').values(rows.slice(i, i + EVENT_CHUNK)).returning('id').execute()
      // RETURNING order is unspecified, but one statement draws its ids in VALUES order (rowid /
      // sequence), so ascending ids are the input order.
      ids.push(...got.map((r) => Number(r.id)).sort((a, b) => a - b))
    }
  }
  // One statement is atomic on its own (autocommit), so the common request (one event, or up to a
  // chunk) needs no BEGIN/COMMIT around it; only several chunks need the transaction.
  if (rows.length <= EVENT_CHUNK) await insert(db)
  else await db.transaction().execute(insert)
  return ids.map(String)
}

function toEvent(row: Selectable<EventsTable>): StoredEvent {
  return {
    id: String(row.id),
    seq: Number(row.id),
    severity: row.severity as Severity,
    title: row.title,
    message: row.message,
    source: row.source,
    category: row.category,
    labels: parseJson<Record<string, string>>(row.labels_json),
    dedupKey: row.dedup_key,
    occurredAt: dateOrNull(row.occurred_at),
    status: row.status as EventStatus,
    receivedAt: date(row.received_at),
    groupKey: row.group_key,
  }
}

function toGroupState(row: Selectable<GroupStatesTable>): GroupState {
  return {
    groupKey: row.group_key,
    version: row.version,
    openedAt: dateOrNull(row.opened_at),
    lastSentAt: dateOrNull(row.last_sent_at),
    lastCount: row.last_count,
    lastEventAt: dateOrNull(row.last_event_at),
    totalCount: row.total_count,
    lastStatus: row.last_status as EventStatus | null,
  }
}

export async function listPendingGroups(db: Db, opts: { readonly limit?: number } = {}): Promise<PendingGroup[]> {
  const limit = Math.max(1, Math.trunc(opts.limit ?? 1000))
  const groups = await db
    .selectFrom('events')
    .where('processed_at', 'is', null)
    .groupBy('group_key')
    .select((eb) => [
      'group_key',
      eb.fn.min('severity').as('severity'),
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.sum<number | string | null>(eb.case().when('status', '=', 'resolved').then(1).else(0).end()).as('resolved'),
      eb.fn.min('received_at').as('first_at'),
      eb.fn.max('received_at').as('last_at'),
      eb.fn.min('id').as('min_seq'),
      eb.fn.max('id').as('max_seq'),
    ])
    .orderBy('min_seq')
    .limit(limit)
    .execute()
  if (groups.length === 0) return []
  const states = await db
    .selectFrom('group_states')
    .selectAll()
    .where('group_key', 'in', groups.map((g) => g.group_key))
    .execute()
  const byKey = new Map(states.map((s) => [s.group_key, toGroupState(s)]))
  return groups.map((g) => ({
    groupKey: g.group_key,
    severity: g.severity as Severity,
    count: Number(g.count),
    resolvedCount: Number(g.resolved ?? 0),
    firstReceivedAt: date(g.first_at),
    lastReceivedAt: date(g.last_at),
    maxSeq: Number(g.max_seq),
    state: byKey.get(g.group_key) ?? null,
  }))
}

export async function readGroupEvents(
  db: Db,
  groupKey: string,
  opts: { readonly upToSeq: number; readonly limit: number },
): Promise<GroupEvents> {
  const limit = Math.max(1, Math.trunc(opts.limit))
  const pending = db
    .selectFrom('events')
    .where('group_key', '=', groupKey)
    .where('processed_at', 'is', null)
    .where('id', '<=', opts.upToSeq)
  const rows = await pending.selectAll().orderBy('id', 'desc').limit(limit).execute()
  // Fewer rows than the limit: they are all the group's pending events, so count titles here
  // instead of a second query (the common case of a group of one event).
  if (rows.length < limit) return { events: rows.map(toEvent), titles: titlesOf(rows, limit) }
  const titles = await pending
    .groupBy('title')
    .select((eb) => ['title', eb.fn.countAll<number | string>().as('n'), eb.fn.max('id').as('newest')])
    .orderBy('n', 'desc')
    .orderBy('newest', 'desc')
    .limit(limit)
    .execute()
  return { events: rows.map(toEvent), titles: titles.map((t) => ({ title: t.title, count: Number(t.n) })) }
}

/** The title counts of the SQL below for rows read newest first: most frequent, then most recent. */
function titlesOf(rows: readonly Selectable<EventsTable>[], limit: number): { title: string; count: number }[] {
  const byTitle = new Map<string, { title: string; count: number; newest: number }>()
  for (const row of rows) {
    const t = byTitle.get(row.title)
    if (t === undefined) byTitle.set(row.title, { title: row.title, count: 1, newest: Number(row.id) })
    else t.count++
  }
  return [...byTitle.values()]
    .sort((a, b) => b.count - a.count || b.newest - a.newest)
    .slice(0, limit)
    .map(({ title, count }) => ({ title, count }))
}

/** Thrown inside the transaction to roll it back; never escapes commitGroup / commitGroups. */
class Rollback extends Error {}

export async function commitGroup(db: Db, commit: GroupCommit): Promise<GroupCommitResult> {
  try {
    return { ok: true, notificationIds: await db.transaction().execute((trx) => writeGroup(trx, commit)) }
  } catch (err) {
    if (err instanceof Rollback) return { ok: false }
    throw err
  }
}

/**
 * All the commits in one transaction, or none (see `NotifyStore.commitGroups`). Each group's writes
 * and checks are commitGroup's; only the BEGIN/COMMIT are shared, so a pass that found 20 groups due
 * appends to the WAL once (SQLite) or waits for one COMMIT (PostgreSQL) instead of 20 times.
 */
export async function commitGroups(db: Db, commits: readonly GroupCommit[]): Promise<GroupsCommitResult> {
  if (commits.length === 0) return { ok: true, notificationIds: [] }
  // Group rows are locked in key order, so two PostgreSQL processes committing overlapping batches
  // wait for each other instead of deadlocking (each takes its locks in the same order).
  const order = commits.map((_, i) => i).sort((a, b) => compareKeys(commits[a]!.groupKey, commits[b]!.groupKey))
  try {
    const ids = await db.transaction().execute(async (trx) => {
      const out: string[][] = new Array<string[]>(commits.length)
      for (const i of order) out[i] = await writeGroup(trx, commits[i]!)
      return out
    })
    return { ok: true, notificationIds: ids }
  } catch (err) {
    if (err instanceof Rollback) return { ok: false }
    throw err
  }
}

const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** One group's compare-and-swap, notifications and event marks inside `trx`; throws Rollback on a failed check. */
async function writeGroup(trx: Db, commit: GroupCommit): Promise<string[]> {
  const s = commit.state
  const values = {
    version: commit.expectedVersion + 1,
    opened_at: orNull(s.openedAt),
    last_sent_at: orNull(s.lastSentAt),
    last_count: s.lastCount,
    last_event_at: orNull(s.lastEventAt),
    total_count: s.totalCount,
    last_status: s.lastStatus,
  }
  // Compare-and-swap on the group row first: on PostgreSQL a concurrent committer of the same
  // group waits here on the row lock, then finds the version moved and rolls back.
  const state =
    commit.expectedVersion === 0
      ? await trx
          .insertInto('group_states')
          .values({ group_key: commit.groupKey, ...values })
          .onConflict((oc) => oc.column('group_key').doNothing())
          .returning('group_key')
          .executeTakeFirst()
      : await trx
          .updateTable('group_states')
          .set(values)
          .where('group_key', '=', commit.groupKey)
          .where('version', '=', commit.expectedVersion)
          .returning('group_key')
          .executeTakeFirst()
  if (state === undefined) throw new Rollback()
  const ids: string[] = []
  for (const n of commit.notifications) {
    ids.push((await insertNotification(trx, n.notification, n.deliveries)).notification.id)
  }
  const marked = await trx
    .updateTable('events')
    .set({ processed_at: commit.processedAt.getTime(), notification_id: ids[0] ?? null })
    .where('group_key', '=', commit.groupKey)
    .where('processed_at', 'is', null)
    .where('id', '<=', commit.upToSeq)
    .executeTakeFirst()
  if (Number(marked.numUpdatedRows) !== commit.expectedCount) throw new Rollback()
  return ids
}

export async function deleteIdleGroups(db: Db, before: Date): Promise<number> {
  const result = await db
    .deleteFrom('group_states')
    .where('last_sent_at', '<', before.getTime())
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('events')
            .select('events.id')
            .whereRef('events.group_key', '=', 'group_states.group_key')
            .where('events.processed_at', 'is', null),
        ),
      ),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

