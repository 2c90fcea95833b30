/**
 * The NotifyStore half of the contract (src/notify/port.ts), run by describeStore for each dialect.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { GroupCommit, NewEvent } from '../../src/notify/index.js'
import type { AlertmailStore } from '../../src/store/index.js'

const T0 = new Date('2026-02-01T00:00:00Z')
const at = (ms: number) => new Date(T0.getTime() + ms)

function event(n: number, over: Partial<NewEvent> = {}): NewEvent {
  return {
    severity: 'high',
    title: `SYN flood ${n % 2}`,
    message: n % 3 === 0 ? null : `message ${n}`,
    source: 'edge-3',
    category: 'ddos',
    labels: { pop: 'fra', n: String(n) },
    dedupKey: null,
    occurredAt: n % 2 === 0 ? at(n - 1) : null,
    status: 'firing',
    receivedAt: at(n),
    groupKey: 'high|edge-3|ddos',
    ...over,
  }
}

function commit(over: Partial<GroupCommit> & Pick<GroupCommit, 'upToSeq' | 'expectedCount'>): GroupCommit {
  return {
    groupKey: 'high|edge-3|ddos',
    expectedVersion: 0,
    processedAt: at(10_000),
    state: { openedAt: at(10_000), lastSentAt: at(10_000), lastCount: over.expectedCount, lastEventAt: at(99), totalCount: over.expectedCount, lastStatus: 'firing' },
    notifications: [
      {
        notification: { kind: 'alert', severity: 'high', groupKey: 'high|edge-3|ddos', eventCount: over.expectedCount, createdAt: at(10_000) },
        deliveries: [{ recipient: 'oncall@example.test', messageId: '<g1@alertmail.test>', subject: 'SYN flood', text: 'x' }],
      },
      {
        notification: { kind: 'support', severity: 'high', groupKey: 'high|edge-3|ddos', eventCount: over.expectedCount, createdAt: at(10_000) },
        deliveries: [],
      },
    ],
    ...over,
  }
}

export function describeNotifyStore(get: () => { store: AlertmailStore; openAnother(): Promise<AlertmailStore> }): void {
  describe('notify store', () => {
    let store: AlertmailStore
    beforeEach(() => {
      store = get().store
    })

    it('stores events with ids in input order and lists pending groups oldest first', async () => {
      const ids = await store.insertEvents([event(1), event(2), event(3, { groupKey: 'critical|x', severity: 'critical', status: 'resolved' }), event(4, { status: 'resolved' })])
      expect(ids).toHaveLength(4)
      expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b))
      expect(await store.insertEvents([])).toEqual([])
      const groups = await store.listPendingGroups()
      expect(groups.map((g) => g.groupKey)).toEqual(['high|edge-3|ddos', 'critical|x'])
      expect(groups[0]).toEqual({
        groupKey: 'high|edge-3|ddos', severity: 'high', count: 3, resolvedCount: 1,
        firstReceivedAt: at(1), lastReceivedAt: at(4), maxSeq: Number(ids[3]), state: null,
      })
      expect(groups[1]).toMatchObject({ severity: 'critical', count: 1, resolvedCount: 1, maxSeq: Number(ids[2]) })
      expect(await store.listPendingGroups({ limit: 1 })).toHaveLength(1)
    })

    it('reads a sample of a group, newest first, with title counts', async () => {
      const ids = await store.insertEvents([1, 2, 3, 4, 5, 6].map((n) => event(n)))
      const sample = await store.readGroupEvents('high|edge-3|ddos', { upToSeq: Number(ids[4]), limit: 3 })
      expect(sample.events.map((e) => e.id)).toEqual([ids[4], ids[3], ids[2]])
      expect(sample.events[0]).toEqual({ ...event(5), id: ids[4], seq: Number(ids[4]) })
      expect(sample.events[1]).toEqual({ ...event(4), id: ids[3], seq: Number(ids[3]) })
      // upToSeq = 5th event: titles 'SYN flood 1' ×3 (1,3,5), 'SYN flood 0' ×2 (2,4)
      expect(sample.titles).toEqual([{ title: 'SYN flood 1', count: 3 }, { title: 'SYN flood 0', count: 2 }])
    })

    it('commits a group atomically: marks events, inserts notifications with deliveries, stores state', async () => {
      const ids = await store.insertEvents([1, 2, 3].map((n) => event(n)))
      const upToSeq = Number(ids[1])
      const result = await store.commitGroup(commit({ upToSeq, expectedCount: 2 }))
      expect(result.ok).toBe(true)
      if (!result.ok) return
      expect(result.notificationIds).toHaveLength(2)
      const n = await store.getNotification(result.notificationIds[0]!)
      expect(n).toMatchObject({ kind: 'alert', eventCount: 2 })
      expect((await store.listDeliveries({ notificationId: n!.id })).items.map((d) => d.recipient)).toEqual(['oncall@example.test'])
      const [group] = await store.listPendingGroups()
      expect(group).toMatchObject({ count: 1, maxSeq: Number(ids[2]) })
      expect(group?.state).toEqual({
        groupKey: 'high|edge-3|ddos', version: 1, openedAt: at(10_000), lastSentAt: at(10_000),
        lastCount: 2, lastEventAt: at(99), totalCount: 2, lastStatus: 'firing',
      })
      // a stale version writes nothing
      expect(await store.commitGroup(commit({ upToSeq: Number(ids[2]), expectedCount: 1 }))).toEqual({ ok: false })
      expect((await store.listPendingGroups())[0]?.count).toBe(1)
      const next = await store.commitGroup(commit({ upToSeq: Number(ids[2]), expectedCount: 1, expectedVersion: 1, notifications: [] }))
      expect(next).toEqual({ ok: true, notificationIds: [] })
      expect(await store.listPendingGroups()).toEqual([])
    })

    it('rolls a commit back when the number of marked events differs', async () => {
      const ids = await store.insertEvents([1, 2].map((n) => event(n)))
      const before = (await store.listDeliveries()).items.length
      expect(await store.commitGroup(commit({ upToSeq: Number(ids[1]), expectedCount: 1 }))).toEqual({ ok: false })
      expect((await store.listDeliveries()).items.length).toBe(before)
      expect((await store.listPendingGroups())[0]).toMatchObject({ count: 2, state: null })
    })

    it('lets only one of two concurrent commits of the same group win', async () => {
      const ids = await store.insertEvents([1, 2].map((n) => event(n)))
      // PostgreSQL: two pools, as two `alertmail serve` processes. SQLite: one process owns the file and
      // its single connection serialises transactions (a second in-process handle would block the
      // event loop in busy_timeout while the first waits on it), so both commits share the handle.
      const other = store.dialect === 'postgres' ? await get().openAnother() : store
      try {
        const c = commit({ upToSeq: Number(ids[1]), expectedCount: 2 })
        const results = await Promise.all([store.commitGroup(c), other.commitGroup(c)])
        expect(results.filter((r) => r.ok)).toHaveLength(1)
        expect((await store.listDeliveries()).items).toHaveLength(1)
      } finally {
        if (other !== store) await other.close()
      }
    })

    it('deletes idle group states without pending events', async () => {
      const ids = await store.insertEvents([event(1), event(2, { groupKey: 'low|y', severity: 'low' })])
      expect((await store.commitGroup(commit({ upToSeq: Number(ids[0]), expectedCount: 1, notifications: [] }))).ok).toBe(true)
      expect((await store.commitGroup(commit({ groupKey: 'low|y', upToSeq: Number(ids[1]), expectedCount: 1, notifications: [] }))).ok).toBe(true)
      await store.insertEvents([event(3, { groupKey: 'low|y', severity: 'low' })])
      expect(await store.deleteIdleGroups(at(10_000))).toBe(0) // lastSentAt is not before
      expect(await store.deleteIdleGroups(at(10_001))).toBe(1) // low|y still has a pending event
      const groups = await store.listPendingGroups()
      expect(groups.map((g) => [g.groupKey, g.state?.version])).toEqual([['low|y', 1]])
    })
  })
}
