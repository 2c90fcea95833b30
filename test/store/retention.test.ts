/**
 * Retention queries (src/store/retention-queries.ts) on both dialects: the real PostgreSQL on
 * 127.0.0.1:5432 (never skipped) and a temporary SQLite file. Rows are made through the store's own
 * methods (enqueue, claim, completeAttempts, insertEvents, commitGroup), so the pruning runs on the
 * rows the application really writes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompiledQuery, sql, type Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { NewEvent } from '../../src/notify/index.js'
import type { AttemptNext, DeliveryInput } from '../../src/outbox/index.js'
import { DIALECTS, type Dialect } from '../../src/store/dialect.js'
import { openStore } from '../../src/store/index.js'
import { KyselyStore } from '../../src/store/kysely-store.js'
import {
  FINAL_STATES,
  pruneBefore,
  selectFinalDeliveries,
  selectOldEvents,
  selectOldNotifications,
} from '../../src/store/retention-queries.js'
import type { Database } from '../../src/store/schema.js'
import { createTestDatabase } from '../support/pg.js'

const DAY = 86_400_000
const OLD = new Date('2026-01-01T00:00:00Z')
const CUTOFF = new Date(OLD.getTime() + 30 * DAY)
const RECENT = new Date(CUTOFF.getTime() + DAY)
const after = (d: Date, ms: number) => new Date(d.getTime() + ms)
/** Never due within the test: keeps a row where it is while later claims run. */
const FAR = new Date(OLD.getTime() + 400 * DAY)
const OWNER = 'retention-test'

interface Opened {
  readonly store: KyselyStore
  readonly db: Kysely<Database>
  cleanup(): Promise<void>
}

/** The store openStore returns is the Kysely one; its `db` is exposed for this module's tests. */
function kysely(store: unknown): KyselyStore {
  if (!(store instanceof KyselyStore)) throw new Error('openStore did not return a KyselyStore')
  return store
}

async function open(dialect: Dialect): Promise<Opened> {
  if (dialect === 'postgres') {
    const pg = await createTestDatabase('alertmail_retention')
    const store = kysely(await openStore({ databaseUrl: pg.url, dataDir: '/nonexistent-unused' }))
    return {
      store,
      db: store.db,
      async cleanup() {
        await store.close()
        await pg.drop()
      },
    }
  }
  const root = await mkdtemp(join(tmpdir(), 'alertmail-retention-'))
  const store = kysely(await openStore({ dataDir: join(root, 'data') }))
  return {
    store,
    db: store.db,
    async cleanup() {
      await store.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}

let seq = 0
function mail(recipient: string, over: Partial<DeliveryInput> = {}): DeliveryInput {
  seq++
  return {
    recipient,
    messageId: `<r${seq}@alertmail.test>`,
    subject: `s ${recipient}`,
    text: `t ${recipient}`,
    ...over,
  }
}

function event(groupKey: string, receivedAt: Date, n: number): NewEvent {
  return {
    severity: 'high',
    title: `event ${n}`,
    message: null,
    source: 'edge-1',
    category: 'ddos',
    labels: {},
    dedupKey: null,
    occurredAt: null,
    status: 'firing',
    receivedAt,
    groupKey,
  }
}

/** Claims everything due at `at` and ends each claimed delivery as `next(recipient)` says (undefined: left sending). */
async function claimAndEnd(
  store: KyselyStore,
  at: Date,
  next: (recipient: string) => AttemptNext | undefined,
  leaseMs = 60_000,
): Promise<Map<string, string>> {
  const claimed = await store.claimDue({ owner: OWNER, now: at, leaseMs, limit: 100 })
  const completions = claimed.flatMap((d) => {
    const n = next(d.recipient)
    if (n === undefined) return []
    const attempt = {
      startedAt: at,
      ms: 5,
      outcome:
        n.state === 'sent'
          ? ('sent' as const)
          : n.state === 'unknown'
            ? ('unknown' as const)
            : ('transient' as const),
      transcript: [],
    }
    return [{ deliveryId: d.id, owner: OWNER, attempt, next: n }]
  })
  expect(await store.completeAttempts(completions, at)).toHaveLength(completions.length)
  return new Map(claimed.map((d) => [d.recipient, d.id]))
}

async function count(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * The world the tests prune, with what must go and what must stay (cutoff = OLD + 30 days):
 * - nA (old): sent (1 attempt), failed after a retry (2 attempts), suppressed (0) → all go, nA too.
 * - nB (old): queued, sending, unknown (1 attempt), retrying (1 attempt) → all stay, nB too.
 * - nC (old): one sent (1 attempt) → goes; one queued → stays, so nC stays.
 * - nD (old): sent only after the cutoff (it retried for a month) → stays.
 * - nE (old): no deliveries at all (nobody was routed) → goes.
 * - nF (recent): sent recently → stays.
 * - events: g-done processed before the cutoff (3) → go; g-pending never processed, g-late received
 *   old but processed after the cutoff, g-new recent → stay.
 * - the audit log entry from OLD stays.
 */
async function seed(store: KyselyStore) {
  const ids: Record<string, string> = {}
  const nA = await store.enqueue(
    { kind: 'alert', severity: 'high', groupKey: 'a', eventCount: 1, createdAt: OLD },
    [mail('a-sent'), mail('a-failed'), mail('a-suppressed', { state: 'suppressed' })],
  )
  ids['a-suppressed'] = nA.deliveries[2]!.id
  let got = await claimAndEnd(store, after(OLD, 1), (r) =>
    r === 'a-sent' ? { state: 'sent' } : { state: 'retrying', nextAttemptAt: after(OLD, 2) },
  )
  Object.assign(ids, Object.fromEntries(got))
  got = await claimAndEnd(store, after(OLD, 2), () => ({ state: 'failed', reason: '550 5.1.1 no such user' }))
  expect([...got.keys()]).toEqual(['a-failed'])

  const nB = await store.enqueue(
    { kind: 'alert', severity: 'high', groupKey: 'b', eventCount: 1, createdAt: after(OLD, 10) },
    [mail('b-queued', { nextAttemptAt: FAR }), mail('b-sending'), mail('b-unknown'), mail('b-retrying')],
  )
  ids['b-queued'] = nB.deliveries[0]!.id
  // A lease longer than the test, so no later claim takes 'b-sending' over.
  got = await claimAndEnd(
    store,
    after(OLD, 11),
    (r) =>
      r === 'b-sending'
        ? undefined
        : { state: r === 'b-unknown' ? 'unknown' : 'retrying', nextAttemptAt: FAR },
    500 * DAY,
  )
  Object.assign(ids, Object.fromEntries(got))

  const nC = await store.enqueue(
    { kind: 'alert', severity: 'low', groupKey: 'c', eventCount: 1, createdAt: after(OLD, 20) },
    [mail('c-sent'), mail('c-queued', { nextAttemptAt: FAR })],
  )
  ids['c-queued'] = nC.deliveries[1]!.id
  Object.assign(ids, Object.fromEntries(await claimAndEnd(store, after(OLD, 21), () => ({ state: 'sent' }))))

  const nD = await store.enqueue(
    { kind: 'alert', severity: 'high', groupKey: 'd', eventCount: 1, createdAt: after(OLD, 30) },
    [mail('d-late', { nextAttemptAt: RECENT })],
  )
  const nE = await store.enqueue(
    { kind: 'digest', severity: 'info', groupKey: 'e', eventCount: 4, createdAt: after(OLD, 40) },
    [],
  )
  const nF = await store.enqueue(
    { kind: 'alert', severity: 'high', groupKey: 'f', eventCount: 1, createdAt: RECENT },
    [mail('f-sent')],
  )
  Object.assign(ids, Object.fromEntries(await claimAndEnd(store, RECENT, () => ({ state: 'sent' }))))

  const processed = async (groupKey: string, receivedAt: Date, processedAt: Date, n: number) => {
    const eventIds = await store.insertEvents(
      Array.from({ length: n }, (_, i) => event(groupKey, after(receivedAt, i), i)),
    )
    const state = {
      openedAt: processedAt,
      lastSentAt: processedAt,
      lastCount: n,
      lastEventAt: receivedAt,
      totalCount: n,
      lastStatus: 'firing' as const,
    }
    const r = await store.commitGroup({
      groupKey,
      expectedVersion: 0,
      upToSeq: Number(eventIds.at(-1)),
      expectedCount: n,
      processedAt,
      state,
      notifications: [],
    })
    expect(r.ok).toBe(true)
    return eventIds
  }
  const events = {
    done: await processed('g-done', OLD, after(OLD, 60_000), 3),
    late: await processed('g-late', OLD, RECENT, 2),
    pending: await store.insertEvents([event('g-pending', OLD, 0)]),
    fresh: await processed('g-new', RECENT, after(RECENT, 1), 1),
  }
  await store.appendAudit({ at: OLD, actor: 'admin', action: 'settings.update', fields: ['host'] })
  return {
    ids,
    events,
    notifications: {
      nA: nA.notification.id,
      nB: nB.notification.id,
      nC: nC.notification.id,
      nD: nD.notification.id,
      nE: nE.notification.id,
      nF: nF.notification.id,
    },
  }
}

async function eventIds(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('events').select('id').orderBy('id').execute()).map((r) => String(r.id))
}

/** The query plan's text: SQLite's EXPLAIN QUERY PLAN details, PostgreSQL's EXPLAIN lines. */
async function plan(
  db: Kysely<Database>,
  dialect: Dialect,
  query: { compile(): CompiledQuery },
): Promise<string> {
  const c = query.compile()
  if (dialect === 'sqlite') {
    const r = await db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`EXPLAIN QUERY PLAN ${c.sql}`, [...c.parameters]),
    )
    return r.rows.map((row) => row.detail).join('\n')
  }
  // The tables are nearly empty, where a sequential scan is always cheapest: discourage the
  // alternatives for this transaction to see whether the index *can* serve the query, in its order.
  return db.transaction().execute(async (trx) => {
    for (const setting of ['enable_seqscan', 'enable_bitmapscan', 'enable_sort'])
      await sql`SELECT set_config(${setting}, 'off', true)`.execute(trx)
    const r = await trx.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${c.sql}`, [...c.parameters]),
    )
    return r.rows.map((row) => row['QUERY PLAN']).join('\n')
  })
}

for (const dialect of DIALECTS) {
  describe(`retention queries: ${dialect}`, () => {
    let opened: Opened
    beforeEach(async () => {
      opened = await open(dialect)
    })
    afterEach(async () => {
      await opened.cleanup()
    })

    for (const batch of [1, 3, 2000]) {
      it(`deletes only finished deliveries, empty notifications and processed events older than the cutoff (batch ${batch})`, async () => {
        const { store, db } = opened
        const world = await seed(store)
        const { ids, events, notifications: n } = world
        expect(await count(db, 'deliveries')).toBe(11)
        expect(await count(db, 'delivery_attempts')).toBe(8)

        const counts = await pruneBefore(db, dialect, CUTOFF, batch)
        expect(counts).toEqual({ deliveries: 4, attempts: 4, notifications: 2, events: 3 })

        for (const gone of ['a-sent', 'a-failed', 'a-suppressed', 'c-sent'])
          expect(await store.getDelivery(ids[gone]!), gone).toBeUndefined()
        const kept = {
          'b-queued': 'queued',
          'b-sending': 'sending',
          'b-unknown': 'unknown',
          'b-retrying': 'retrying',
          'c-queued': 'queued',
          'd-late': 'sent',
          'f-sent': 'sent',
        }
        for (const [name, state] of Object.entries(kept)) {
          const d = await store.getDelivery(ids[name]!)
          expect(d?.state, name).toBe(state)
          // A kept delivery keeps its attempt log.
          expect(d?.attemptLog.length, name).toBe(d?.attempts)
        }
        expect(await count(db, 'deliveries')).toBe(7)
        expect(await count(db, 'delivery_attempts')).toBe(4)

        expect(await store.getNotification(n.nA)).toBeUndefined()
        expect(await store.getNotification(n.nE)).toBeUndefined()
        for (const id of [n.nB, n.nC, n.nD, n.nF]) expect((await store.getNotification(id))?.id).toBe(id)

        expect(await eventIds(db)).toEqual([...events.late, ...events.pending, ...events.fresh])
        // Pending events are still the notifier's to fold.
        expect((await store.listPendingGroups()).map((g) => g.groupKey)).toEqual(['g-pending'])
        // Audit entries are a security record: never pruned.
        expect((await store.listAudit()).items).toHaveLength(1)
        // group_states belong to the notifier (deleteIdleGroups), not to retention.
        expect(await count(db, 'group_states')).toBe(3)

        expect(await pruneBefore(db, dialect, CUTOFF, batch)).toEqual({
          deliveries: 0,
          attempts: 0,
          notifications: 0,
          events: 0,
        })
      })
    }

    it('deletes everything eligible when there are many more rows than the batch, with exact counts', async () => {
      const { store, db } = opened
      const recipients = Array.from({ length: 23 }, (_, i) => `bulk${i}@example.test`)
      for (let k = 0; k < 3; k++) {
        await store.enqueue(
          { kind: 'alert', severity: 'high', groupKey: `bulk${k}`, eventCount: 1, createdAt: after(OLD, k) },
          recipients.map((r) => mail(r)),
        )
        // Two attempts each: 23 × 2 per notification.
        await claimAndEnd(store, after(OLD, 100 + k), () => ({
          state: 'retrying',
          nextAttemptAt: after(OLD, 200 + k),
        }))
        await claimAndEnd(store, after(OLD, 200 + k), () => ({ state: 'sent' }))
      }
      for (let k = 0; k < 7; k++)
        await store.enqueue(
          { kind: 'digest', severity: 'info', groupKey: `empty${k}`, eventCount: 1, createdAt: OLD },
          [],
        )
      const eventIdsInserted = await store.insertEvents(
        Array.from({ length: 11 }, (_, i) => event('bulk', after(OLD, i), i)),
      )
      const state = {
        openedAt: OLD,
        lastSentAt: OLD,
        lastCount: 11,
        lastEventAt: OLD,
        totalCount: 11,
        lastStatus: 'firing' as const,
      }
      expect(
        (
          await store.commitGroup({
            groupKey: 'bulk',
            expectedVersion: 0,
            upToSeq: Number(eventIdsInserted.at(-1)),
            expectedCount: 11,
            processedAt: after(OLD, 1000),
            state,
            notifications: [],
          })
        ).ok,
      ).toBe(true)

      expect(await pruneBefore(db, dialect, CUTOFF, 4)).toEqual({
        deliveries: 69,
        attempts: 138,
        notifications: 10,
        events: 11,
      })
      for (const table of ['deliveries', 'delivery_attempts', 'notifications', 'events'] as const)
        expect(await count(db, table), table).toBe(0)
    })

    it('stops between batches when the signal aborts and returns what it deleted', async () => {
      const { store, db } = opened
      await store.enqueue(
        { kind: 'alert', severity: 'high', groupKey: 'x', eventCount: 1, createdAt: OLD },
        Array.from({ length: 5 }, (_, i) => mail(`s${i}`)),
      )
      await claimAndEnd(store, after(OLD, 1), () => ({ state: 'sent' }))
      const already = new AbortController()
      already.abort()
      expect(await pruneBefore(db, dialect, CUTOFF, 2, { signal: already.signal })).toEqual({
        deliveries: 0,
        attempts: 0,
        notifications: 0,
        events: 0,
      })
      // Aborted while the first batch runs (the signal is read once before each batch).
      let reads = 0
      const midway = {
        get aborted() {
          return ++reads > 1
        },
      } as AbortSignal
      expect(await pruneBefore(db, dialect, CUTOFF, 2, { signal: midway })).toEqual({
        deliveries: 2,
        attempts: 2,
        notifications: 0,
        events: 0,
      })
      expect(await count(db, 'deliveries')).toBe(3)
      expect(await pruneBefore(db, dialect, CUTOFF, 2)).toEqual({
        deliveries: 3,
        attempts: 3,
        notifications: 1,
        events: 0,
      })
    })

    it('walks an index for each batch instead of scanning the table', async () => {
      const { db } = opened
      const before = CUTOFF.getTime()
      // Each SELECT walks its index in the order of its ORDER BY (no sort step): the plan that stays
      // cheap however many rows are older than the cutoff (see retention-queries.ts).
      const unsorted = (p: string) => expect(p).not.toMatch(/TEMP B-TREE|Sort/)
      for (const state of FINAL_STATES) {
        const p = await plan(db, dialect, selectFinalDeliveries(db, dialect, state, before, 2000))
        expect(p, state).toMatch(/deliveries_finished/)
        unsorted(p)
      }
      for (const page of [undefined, [OLD.getTime(), 'x'] as const]) {
        const p = await plan(db, dialect, selectOldNotifications(db, before, page, 2000))
        expect(p, String(page)).toMatch(/notifications_created/)
        unsorted(p)
      }
      for (const from of [undefined, OLD.getTime()]) {
        const p = await plan(db, dialect, selectOldEvents(db, before, from, 2000))
        expect(p, String(from)).toMatch(/events_received/)
        unsorted(p)
      }
    })

    it('treats as final exactly the states no worker acts on again', () => {
      expect([...FINAL_STATES].sort()).toEqual(['failed', 'sent', 'suppressed'])
    })
  })
}
