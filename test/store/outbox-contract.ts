/**
 * The outbox half of the Store contract: enqueue, claim with lease, completion, retry, log, metrics.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { AttemptCompletion, DeliveryInput, NotificationInput, Severity, Store } from '../../src/outbox/index.js'
import type { OpenedStore } from './contract.js'

const T0 = new Date('2026-01-01T00:00:00Z')
const at = (ms: number) => new Date(T0.getTime() + ms)

export function notification(severity: Severity = 'high', over: Partial<NotificationInput> = {}): NotificationInput {
  return { kind: 'alert', severity, groupKey: 'edge-3/ddos', eventCount: 1, createdAt: T0, ...over }
}

export function delivery(n: number, over: Partial<DeliveryInput> = {}): DeliveryInput {
  return {
    recipient: `user${n}@example.test`,
    messageId: `<m${n}.${Math.random().toString(36).slice(2)}@alertmail.test>`,
    subject: `[HIGH] alert ${n}`,
    text: `body ${n}`,
    html: `<p>body ${n}</p>`,
    ...over,
  }
}

function sent(deliveryId: string, owner: string, startedAt = T0): AttemptCompletion {
  return {
    deliveryId,
    owner,
    attempt: {
      startedAt,
      ms: 12,
      outcome: 'sent',
      code: 250,
      enhanced: '2.0.0',
      reply: 'queued as ABC',
      transcript: [{ at: 0, dir: 'C', line: 'MAIL FROM:<a@b>' }, { at: 3, dir: 'S', line: '250 2.1.0 Ok' }],
    },
    next: { state: 'sent' },
  }
}

export function describeOutbox(get: () => OpenedStore): void {
  describe('outbox', () => {
    let store: Store
    beforeEach(() => {
      store = get().store
    })

    it('enqueues a notification and its deliveries in one go; suppressed ones are never claimed', async () => {
      const { notification: n, deliveries } = await store.enqueue(notification('critical', { eventCount: 7 }), [
        delivery(1, { userId: 'u1' }),
        delivery(2, { state: 'suppressed' }),
      ])
      expect(await store.getNotification(n.id)).toEqual(n)
      expect(n).toMatchObject({ kind: 'alert', severity: 'critical', eventCount: 7, groupKey: 'edge-3/ddos' })
      expect(deliveries.map((d) => [d.state, d.severity, d.priority, d.attempts])).toEqual([['queued', 'critical', 0, 0], ['suppressed', 'critical', 0, 0]])
      const detail = await store.getDelivery(deliveries[0]!.id)
      expect(detail).toMatchObject({ notificationId: n.id, userId: 'u1', recipient: 'user1@example.test', text: 'body 1', html: '<p>body 1</p>', kind: 'alert', attemptLog: [] })
      const claimed = await store.claimDue({ owner: 'w1', now: at(1), leaseMs: 60_000, limit: 10 })
      expect(claimed.map((d) => d.id)).toEqual([deliveries[0]!.id])
    })

    it('claims due rows critical first, then by due time, and sets the lease', async () => {
      await store.enqueue(notification('low'), [delivery(1)])
      await store.enqueue(notification('critical', { createdAt: at(50) }), [delivery(2)])
      await store.enqueue(notification('high'), [delivery(3), delivery(4, { nextAttemptAt: at(10_000) })])
      const claimed = await store.claimDue({ owner: 'w1', now: at(100), leaseMs: 30_000, limit: 2 })
      expect(claimed.map((d) => d.recipient)).toEqual(['user2@example.test', 'user3@example.test'])
      for (const d of claimed) expect(d).toMatchObject({ state: 'sending', leaseOwner: 'w1', leaseUntil: at(30_100) })
      expect(claimed[0]?.text).toBe('body 2')
      const rest = await store.claimDue({ owner: 'w2', now: at(100), leaseMs: 30_000, limit: 10 })
      expect(rest.map((d) => d.recipient)).toEqual(['user1@example.test']) // user4 is not due yet
      expect(await store.claimDue({ owner: 'w2', now: at(200), leaseMs: 30_000, limit: 10 })).toEqual([])
      expect((await store.claimDue({ owner: 'w2', now: at(10_000), leaseMs: 30_000, limit: 10 })).map((d) => d.recipient)).toEqual(['user4@example.test'])
    })

    it('reclaims a row whose lease expired, and the old owner can no longer complete it', async () => {
      const { deliveries } = await store.enqueue(notification(), [delivery(1)])
      const id = deliveries[0]!.id
      expect(await store.claimDue({ owner: 'dead', now: at(0), leaseMs: 1000, limit: 5 })).toHaveLength(1)
      expect(await store.claimDue({ owner: 'w2', now: at(999), leaseMs: 1000, limit: 5 })).toEqual([])
      expect(await store.renewLeases('w2', [id], at(5000))).toEqual([])
      const reclaimed = await store.claimDue({ owner: 'w2', now: at(1001), leaseMs: 1000, limit: 5 })
      expect(reclaimed.map((d) => [d.id, d.leaseOwner])).toEqual([[id, 'w2']])
      expect(await store.completeAttempts([sent(id, 'dead')], at(1002))).toEqual([])
      expect(await store.renewLeases('w2', [id], at(9000))).toEqual([id])
      expect(await store.claimDue({ owner: 'w3', now: at(5000), leaseMs: 1000, limit: 5 })).toEqual([]) // renewed
      expect(await store.completeAttempts([sent(id, 'w2')], at(1003))).toEqual([id])
      const detail = await store.getDelivery(id)
      expect(detail).toMatchObject({ state: 'sent', attempts: 1, lastCode: 250, lastEnhanced: '2.0.0', lastReply: 'queued as ABC' })
      expect(detail?.leaseOwner).toBeUndefined()
      expect(detail?.attemptLog).toHaveLength(1)
      expect(detail?.attemptLog[0]).toMatchObject({ deliveryId: id, outcome: 'sent', code: 250, ms: 12, startedAt: T0, transcript: [{ at: 0, dir: 'C', line: 'MAIL FROM:<a@b>' }, { at: 3, dir: 'S', line: '250 2.1.0 Ok' }] })
    })

    it('records retrying, unknown and failed outcomes in one batch and brings retries back when due', async () => {
      const { deliveries } = await store.enqueue(notification(), [delivery(1), delivery(2), delivery(3)])
      const [a, b, c] = deliveries.map((d) => d.id) as [string, string, string]
      await store.claimDue({ owner: 'w', now: at(0), leaseMs: 60_000, limit: 10 })
      const base = sent(a, 'w')
      const written = await store.completeAttempts([
        { ...base, deliveryId: a, attempt: { ...base.attempt, outcome: 'transient', code: 451, enhanced: '4.3.0', reply: 'try later' }, next: { state: 'retrying', nextAttemptAt: at(5000) } },
        { ...base, deliveryId: b, attempt: { ...base.attempt, outcome: 'unknown', transcript: [] }, next: { state: 'unknown', nextAttemptAt: at(6000) } },
        { ...base, deliveryId: c, attempt: { ...base.attempt, outcome: 'permanent', code: 550, enhanced: '5.1.1', reply: 'no such user' }, next: { state: 'failed', reason: '550 5.1.1 no such user' } },
      ], at(10))
      expect([...written].sort()).toEqual([a, b, c].sort())
      expect(await store.getDelivery(a)).toMatchObject({ state: 'retrying', attempts: 1, lastCode: 451, nextAttemptAt: at(5000) })
      expect(await store.getDelivery(b)).toMatchObject({ state: 'unknown', attempts: 1 })
      expect(await store.getDelivery(c)).toMatchObject({ state: 'failed', failReason: '550 5.1.1 no such user', lastEnhanced: '5.1.1' })
      expect(await store.claimDue({ owner: 'w', now: at(4999), leaseMs: 60_000, limit: 10 })).toEqual([])
      const again = await store.claimDue({ owner: 'w', now: at(6000), leaseMs: 60_000, limit: 10 })
      expect(again.map((d) => [d.id, d.attempts, d.messageId])).toEqual([
        [a, 1, deliveries[0]!.messageId],
        [b, 1, deliveries[1]!.messageId],
      ])
    })

    it('releases leases back to queued or retrying on a graceful stop', async () => {
      const { deliveries } = await store.enqueue(notification(), [delivery(1), delivery(2)])
      const [claimed] = await store.claimDue({ owner: 'w', now: at(0), leaseMs: 60_000, limit: 1 })
      const a = claimed!.id
      const b = deliveries.find((d) => d.id !== a)!.id
      await store.completeAttempts([{ ...sent(a, 'w'), next: { state: 'retrying', nextAttemptAt: at(10) } }], at(1))
      await store.claimDue({ owner: 'w', now: at(20), leaseMs: 60_000, limit: 10 })
      expect(await store.releaseLeases('other', at(21))).toBe(0)
      expect(await store.releaseLeases('w', at(21))).toBe(2)
      expect(await store.getDelivery(a)).toMatchObject({ state: 'retrying', nextAttemptAt: at(21) })
      expect(await store.getDelivery(b)).toMatchObject({ state: 'queued' })
      expect(await store.claimDue({ owner: 'w2', now: at(21), leaseMs: 60_000, limit: 10 })).toHaveLength(2)
    })

    it('retries a failed delivery manually and refuses any other', async () => {
      const { deliveries } = await store.enqueue(notification(), [delivery(1), delivery(2)])
      const [claimed] = await store.claimDue({ owner: 'w', now: at(0), leaseMs: 60_000, limit: 1 })
      const a = claimed!.id
      const b = deliveries.find((d) => d.id !== a)!.id
      await store.completeAttempts([{ ...sent(a, 'w'), next: { state: 'failed', reason: 'max attempts' } }], at(1))
      expect(await store.retryDelivery(b, at(2))).toEqual({ ok: false, error: 'not_failed' })
      expect(await store.retryDelivery('nope', at(2))).toEqual({ ok: false, error: 'not_found' })
      const r = await store.retryDelivery(a, at(100))
      expect(r).toMatchObject({ ok: true, delivery: { state: 'queued', attempts: 0, queuedAt: at(100), nextAttemptAt: at(100) } })
      expect(r.ok && r.delivery.failReason).toBeUndefined()
      expect((await store.getDelivery(a))?.attemptLog).toHaveLength(1)
    })

    it('never hands the same row to two concurrent claimers', async () => {
      const total = 300
      for (let i = 0; i < total; i += 100) {
        await store.enqueue(notification(), Array.from({ length: 100 }, (_, k) => delivery(i + k)))
      }
      const other = await get().openAnother()
      try {
        const claimers = [store, other, store, other].map(async (s, n) => {
          const got: string[] = []
          for (;;) {
            const batch = await s.claimDue({ owner: `w${n}`, now: at(1), leaseMs: 60_000, limit: 7 })
            if (batch.length === 0) return got
            for (const d of batch) {
              expect(d.leaseOwner).toBe(`w${n}`)
              got.push(d.id)
            }
          }
        })
        const all = (await Promise.all(claimers)).flat()
        expect(all).toHaveLength(total)
        expect(new Set(all).size).toBe(total)
      } finally {
        await other.close()
      }
    })

    it('filters the delivery log by status, severity and since, newest first, with a cursor', async () => {
      await store.enqueue(notification('critical', { createdAt: at(0) }), [delivery(1), delivery(2)])
      await store.enqueue(notification('low', { createdAt: at(1000) }), [delivery(3), delivery(4, { state: 'suppressed' })])
      await store.enqueue(notification('critical', { createdAt: at(2000) }), [delivery(5)])
      const all = await store.listDeliveries()
      expect(all.items.map((d) => d.recipient.slice(0, 5))).toEqual(expect.arrayContaining(['user1', 'user5']))
      expect(all.items).toHaveLength(5)
      expect(all.items[0]?.recipient).toBe('user5@example.test')
      expect(all.items.at(-1)?.createdAt).toEqual(at(0))
      expect(all.items[0]).not.toHaveProperty('text')
      expect((await store.listDeliveries({ status: 'suppressed' })).items.map((d) => d.recipient)).toEqual(['user4@example.test'])
      expect((await store.listDeliveries({ severity: 'critical' })).items).toHaveLength(3)
      expect((await store.listDeliveries({ since: at(1000) })).items).toHaveLength(3)
      expect((await store.listDeliveries({ severity: 'critical', since: at(1) })).items.map((d) => d.recipient)).toEqual(['user5@example.test'])
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await store.listDeliveries({ limit: 2, ...(cursor === undefined ? {} : { cursor }) })
        expect(page.items.length).toBeLessThanOrEqual(2)
        seen.push(...page.items.map((d) => d.id))
        cursor = page.nextCursor
      } while (cursor !== undefined)
      expect(seen).toEqual(all.items.map((d) => d.id))
    })

    it('counts deliveries by state, queue depth and the oldest queued age', async () => {
      const empty = await store.metrics(at(0))
      expect(empty).toEqual({ byState: { queued: 0, sending: 0, sent: 0, retrying: 0, failed: 0, suppressed: 0, unknown: 0 }, queueDepth: 0, oldestQueuedAgeMs: 0 })
      await store.enqueue(notification('info', { createdAt: at(0) }), [delivery(1), delivery(2), delivery(3, { state: 'suppressed' })])
      await store.enqueue(notification('critical', { createdAt: at(500) }), [delivery(4)])
      const [first] = await store.claimDue({ owner: 'w', now: at(600), leaseMs: 60_000, limit: 1 })
      await store.completeAttempts([sent(first!.id, 'w')], at(700))
      const m = await store.metrics(at(10_000))
      expect(m.byState).toEqual({ queued: 2, sending: 0, sent: 1, retrying: 0, failed: 0, suppressed: 1, unknown: 0 })
      expect(m.queueDepth).toBe(2)
      expect(m.oldestQueuedAgeMs).toBe(10_000)
    })

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined()
    })
  })
}
