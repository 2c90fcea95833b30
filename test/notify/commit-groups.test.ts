/**
 * One transaction per grouping pass: `commitGroups()` on every NotifyStore (all or nothing, each
 * group checked as `commitGroup()` checks it), and the Notifier's use of it (one batch per pass, and
 * group by group when the batch is refused or fails, so one group never holds back the others).
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  Notifier,
  validateEvents,
  type GroupCommit,
  type NewEvent,
  type NotifySettings,
  type NotifyStore,
  type ValidEvent,
} from '../../src/notify/index.js'
import { settings as makeSettings } from './fixtures.js'
import { memoryHarness, postgresHarness, sqliteHarness, type Harness, type HarnessFactory } from './harness.js'

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0)

const HARNESSES: [string, HarnessFactory][] = [
  ['memory', memoryHarness],
  ['sqlite', sqliteHarness],
  ['postgres', postgresHarness],
]

function event(groupKey: string, title: string): NewEvent {
  return {
    severity: 'critical',
    title,
    message: null,
    source: 'edge-1',
    category: null,
    labels: {},
    dedupKey: groupKey,
    occurredAt: null,
    status: 'firing',
    receivedAt: new Date(T0),
    groupKey,
  }
}

function commit(groupKey: string, over: Partial<GroupCommit> & Pick<GroupCommit, 'upToSeq' | 'expectedCount'>): GroupCommit {
  const at = new Date(T0 + 1000)
  return {
    groupKey,
    expectedVersion: 0,
    processedAt: at,
    state: { openedAt: at, lastSentAt: at, lastCount: over.expectedCount, lastEventAt: new Date(T0), totalCount: over.expectedCount, lastStatus: 'firing' },
    notifications: [
      {
        notification: { kind: 'alert', severity: 'critical', groupKey, eventCount: over.expectedCount, createdAt: at },
        deliveries: [{ recipient: 'oncall@example.test', messageId: `<${groupKey}@alertmail.test>`, subject: groupKey, text: 'x' }],
      },
    ],
    ...over,
  }
}

function events(input: unknown): ValidEvent[] {
  const r = validateEvents(input)
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return [...r.events]
}

/** The store with its commit calls counted (and commitGroups optionally replaced). */
function counting(store: NotifyStore, commitGroups?: NotifyStore['commitGroups']) {
  const calls = { commitGroup: 0, commitGroups: 0 }
  const wrapped: NotifyStore = {
    insertEvents: (e) => store.insertEvents(e),
    listPendingGroups: (o) => store.listPendingGroups(o),
    readGroupEvents: (k, o) => store.readGroupEvents(k, o),
    listUsers: () => store.listUsers(),
    deleteIdleGroups: (b) => store.deleteIdleGroups(b),
    commitGroup: (c) => {
      calls.commitGroup++
      return store.commitGroup(c)
    },
    commitGroups: (c) => {
      calls.commitGroups++
      return (commitGroups ?? ((cs) => store.commitGroups(cs)))(c)
    },
  }
  return { store: wrapped, calls }
}

describe.each(HARNESSES)('commitGroups on the %s store', (_name, open) => {
  let h: Harness
  beforeEach(async () => {
    h = await open()
  })
  afterEach(async () => {
    await h.close()
  })

  test('writes every group in one call and answers each group its notification ids, in input order', async () => {
    const ids = await h.store.insertEvents([event('b', 'one'), event('a', 'two'), event('a', 'three')])
    const result = await h.store.commitGroups([
      commit('b', { upToSeq: Number(ids[0]), expectedCount: 1 }),
      commit('a', { upToSeq: Number(ids[2]), expectedCount: 2 }),
    ])
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.notificationIds.map((n) => n.length)).toEqual([1, 1])
    expect(await h.store.listPendingGroups()).toEqual([])
    const mails = await h.mails()
    const byGroup = new Map(mails.map((m) => [m.subject, m]))
    expect(byGroup.get('b')?.notificationId).toBe(result.notificationIds[0]![0])
    expect(byGroup.get('a')?.notificationId).toBe(result.notificationIds[1]![0])
    expect(byGroup.get('a')?.eventCount).toBe(2)
  })

  test('one group failing its check writes nothing for any group', async () => {
    const ids = await h.store.insertEvents([event('a', 'one'), event('b', 'two')])
    // 'b' claims two events but has one: its count check fails, so 'a' must not be written either.
    const result = await h.store.commitGroups([
      commit('a', { upToSeq: Number(ids[0]), expectedCount: 1 }),
      commit('b', { upToSeq: Number(ids[1]), expectedCount: 2 }),
    ])
    expect(result).toEqual({ ok: false })
    expect((await h.store.listPendingGroups()).map((g) => [g.groupKey, g.count, g.state])).toEqual([
      ['a', 1, null],
      ['b', 1, null],
    ])
    expect(await h.mails()).toEqual([])
    // The version check too: 'a' written once, then a batch that expects version 0 again is refused.
    expect((await h.store.commitGroup(commit('a', { upToSeq: Number(ids[0]), expectedCount: 1 }))).ok).toBe(true)
    const [more] = await h.store.insertEvents([event('a', 'three')])
    expect(
      await h.store.commitGroups([
        commit('b', { upToSeq: Number(ids[1]), expectedCount: 1 }),
        commit('a', { upToSeq: Number(more), expectedCount: 1 }),
      ]),
    ).toEqual({ ok: false })
    expect((await h.store.listPendingGroups()).map((g) => g.groupKey).sort()).toEqual(['a', 'b'])
    expect(await h.mails()).toHaveLength(1)
  })
})

describe.each(HARNESSES)('Notifier batching on the %s store', (_name, open) => {
  let h: Harness
  let settings: NotifySettings
  const now = () => new Date(T0)
  beforeEach(async () => {
    h = await open()
    settings = makeSettings()
    await h.addUser({ email: 'alice@example.com', severities: ['critical'] })
  })
  afterEach(async () => {
    await h.close()
  })

  const fiveGroups = () => events(Array.from({ length: 5 }, (_, i) => ({ severity: 'critical', title: `Link ${String(i)} down`, dedupKey: `link-${String(i)}` })))

  test('a pass commits all its due groups in one commitGroups call', async () => {
    const { store, calls } = counting(h.store)
    const notifier = new Notifier({ store, getSettings: () => settings, now })
    await notifier.accept(fiveGroups())
    const r = await notifier.tick()
    expect(r).toMatchObject({ notifications: 5, deliveries: 5 })
    expect(calls).toEqual({ commitGroup: 0, commitGroups: 1 })
    expect((await h.mails()).map((m) => m.subject).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `[CRITICAL] Link ${String(i)} down`))
  })

  test('a refused batch is committed group by group in the same pass', async () => {
    const { store, calls } = counting(h.store, () => Promise.resolve({ ok: false }))
    const notifier = new Notifier({ store, getSettings: () => settings, now })
    await notifier.accept(fiveGroups())
    expect(await notifier.tick()).toMatchObject({ notifications: 5, deliveries: 5 })
    expect(calls).toEqual({ commitGroup: 5, commitGroups: 1 })
    expect(await h.mails()).toHaveLength(5)
  })

  test('a failing batch is retried group by group; a group that still fails is reported and stays pending', async () => {
    const errors: unknown[] = []
    const broken = counting(h.store, () => Promise.reject(new Error('batch failed')))
    const store: NotifyStore = {
      ...broken.store,
      commitGroup: (c) => (c.groupKey.includes('link-3') ? Promise.reject(new Error('link-3 cannot be written')) : h.store.commitGroup(c)),
    }
    const notifier = new Notifier({ store, getSettings: () => settings, now, onError: (e) => errors.push(e) })
    await notifier.accept(fiveGroups())
    expect(await notifier.tick()).toMatchObject({ notifications: 4, deliveries: 4 })
    expect(errors.map((e) => (e as Error).message)).toEqual(['link-3 cannot be written'])
    expect((await h.store.listPendingGroups()).map((g) => g.groupKey)).toEqual([expect.stringContaining('link-3')])
    // The next pass (here with the real store) mails it: nothing lost, nothing twice.
    await new Notifier({ store: h.store, getSettings: () => settings, now }).tick()
    expect((await h.mails()).map((m) => m.subject).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `[CRITICAL] Link ${String(i)} down`))
  })
})
