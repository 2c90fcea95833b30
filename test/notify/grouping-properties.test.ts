/**
 * Properties of the whole grouper (Notifier + an in-memory store) over random arrival patterns:
 * every event is counted exactly once, and no group mails more often than its policy allows.
 */
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { DEFAULT_NOTIFICATION_POLICY, Notifier, validateEvents } from '../../src/notify/index.js'
import { settings, user } from './fixtures.js'
import { MemoryNotifyStore } from './memory-store.js'

const SEVERITIES = ['critical', 'high', 'medium'] as const

const arrival = fc.record({
  gapMs: fc.integer({ min: 0, max: 90_000 }),
  severity: fc.constantFrom(...SEVERITIES),
  source: fc.constantFrom('edge-1', 'edge-2'),
  dedup: fc.option(fc.constantFrom('k1', 'k2'), { nil: undefined }),
  resolved: fc.boolean(),
  count: fc.integer({ min: 1, max: 20 }),
})

test('every event is notified exactly once and each group respects its interval', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(arrival, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1_000, max: 20_000 }), async (arrivals, tickMs) => {
      const store = new MemoryNotifyStore()
      store.users = [user({ email: 'all@example.com', severities: ['critical', 'high', 'medium'] })]
      let clock = Date.UTC(2026, 10, 27, 12)
      const notifier = new Notifier({ store, getSettings: () => settings(), now: () => new Date(clock) })
      let total = 0
      let lastTick = clock
      for (const a of arrivals) {
        const target = clock + a.gapMs
        while (lastTick + tickMs <= target) {
          clock = lastTick += tickMs
          await notifier.tick()
        }
        clock = target
        const r = validateEvents(
          Array.from({ length: a.count }, () => ({
            severity: a.severity,
            title: 'x',
            source: a.source,
            ...(a.dedup ? { dedupKey: a.dedup, status: a.resolved ? 'resolved' : 'firing' } : {}),
          })),
        )
        if (!r.ok) throw new Error('bad sample')
        await notifier.accept(r.events)
        total += a.count
      }
      clock += 2 * 24 * 3_600_000
      await notifier.tick()

      expect(store.events.every((e) => e.processedAt !== null)).toBe(true)
      expect(store.notifications.reduce((n, x) => n + x.eventCount, 0)).toBe(total)
      const byGroup = new Map<string, number[]>()
      for (const n of store.notifications) byGroup.set(n.groupKey, [...(byGroup.get(n.groupKey) ?? []), n.createdAt.getTime()])
      for (const [key, times] of byGroup) {
        const severity = JSON.parse(key)[0] as (typeof SEVERITIES)[number]
        const isSourceGroup = JSON.parse(key)[1] === 's'
        for (let i = 1; i < times.length; i++) {
          // Source groups: never two mails within groupIntervalMs. (Dedup groups may send a
          // resolution at once, so only source groups carry this bound.)
          if (isSourceGroup) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(DEFAULT_NOTIFICATION_POLICY[severity].groupIntervalMs)
        }
      }
    }),
    { numRuns: 40 },
  )
})
