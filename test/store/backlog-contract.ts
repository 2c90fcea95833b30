/**
 * Store.countBacklog, intake's backlog limit (src/http/backlog.ts), run by describeStore for each
 * dialect: pending events are the ones no commitGroup has folded yet; queued deliveries are every
 * state but sent, failed and suppressed; each count stops at its cap.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { NewEvent } from '../../src/notify/index.js'
import type { AlertmailStore } from '../../src/store/index.js'
import { delivery, notification } from './outbox-contract.js'

const T0 = new Date('2026-03-01T00:00:00Z')
const at = (ms: number) => new Date(T0.getTime() + ms)
const BIG = { pendingEvents: 1_000_000, queuedDeliveries: 100_000 }

function event(n: number, groupKey: string): NewEvent {
  return {
    severity: 'high', title: `flood ${n}`, message: null, source: 'edge-1', category: 'ddos', labels: {},
    dedupKey: null, occurredAt: null, status: 'firing', receivedAt: at(n), groupKey,
  }
}

export function describeBacklog(get: () => { store: AlertmailStore }): void {
  describe('backlog count', () => {
    let store: AlertmailStore
    beforeEach(() => {
      store = get().store
    })

    it('counts pending events and unfinished deliveries, and stops each count at its cap', async () => {
      expect(await store.countBacklog(BIG)).toEqual({ pendingEvents: 0, queuedDeliveries: 0 })
      const a = await store.insertEvents([1, 2, 3].map((n) => event(n, 'high|a')))
      await store.insertEvents([4, 5].map((n) => event(n, 'high|b')))
      // Deliveries in every state: queued ×2, retrying, sending (claimed), sent, failed, suppressed.
      await store.enqueue(notification('high', { createdAt: at(0) }), [delivery(1), delivery(2), delivery(3), delivery(4), delivery(5), delivery(6), delivery(7, { state: 'suppressed' })])
      const claimed = await store.claimDue({ owner: 'w', now: at(10), leaseMs: 60_000, limit: 4 })
      expect(claimed).toHaveLength(4)
      const [c1, c2, c3] = claimed
      const attempt = { startedAt: at(10), ms: 1, outcome: 'sent' as const, transcript: [] }
      await store.completeAttempts(
        [
          { deliveryId: c1!.id, owner: 'w', attempt, next: { state: 'sent' } },
          { deliveryId: c2!.id, owner: 'w', attempt: { ...attempt, outcome: 'permanent' }, next: { state: 'failed', reason: '550' } },
          { deliveryId: c3!.id, owner: 'w', attempt: { ...attempt, outcome: 'transient' }, next: { state: 'retrying', nextAttemptAt: at(60_000) } },
        ],
        at(20),
      )
      const m = await store.metrics(at(30))
      expect(m.byState).toMatchObject({ queued: 2, sending: 1, retrying: 1, sent: 1, failed: 1, suppressed: 1 })
      expect(await store.countBacklog(BIG)).toEqual({ pendingEvents: 5, queuedDeliveries: 4 })
      expect(await store.countBacklog({ pendingEvents: 2, queuedDeliveries: 3 })).toEqual({ pendingEvents: 2, queuedDeliveries: 3 })

      // Folding group a (3 events) into one notification with one delivery: 2 pending, 5 unfinished.
      const folded = await store.commitGroup({
        groupKey: 'high|a', expectedVersion: 0, upToSeq: Number(a[2]), expectedCount: 3, processedAt: at(40),
        state: { openedAt: at(40), lastSentAt: at(40), lastCount: 3, lastEventAt: at(3), totalCount: 3, lastStatus: 'firing' },
        notifications: [{ notification: notification('high', { createdAt: at(40), groupKey: 'high|a', eventCount: 3 }), deliveries: [delivery(8)] }],
      })
      expect(folded.ok).toBe(true)
      expect(await store.countBacklog(BIG)).toEqual({ pendingEvents: 2, queuedDeliveries: 5 })
    })
  })
}
