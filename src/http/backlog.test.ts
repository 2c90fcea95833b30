import { describe, expect, it } from 'vitest'
import type { BacklogCounts } from '../outbox/index.js'
import { BacklogGauge, QueueFullError, type BacklogRefusal } from './backlog.js'
import { problemFromError } from './problem.js'

/** A store whose count queries the test answers by hand, one at a time. */
function fakeSource() {
  const calls: { upTo: BacklogCounts; resolve: (c: BacklogCounts) => void; reject: (e: unknown) => void }[] = []
  return {
    calls,
    countBacklog(upTo: BacklogCounts): Promise<BacklogCounts> {
      return new Promise((resolve, reject) => calls.push({ upTo, resolve, reject }))
    },
    /** Answers the oldest open query and lets the gauge's continuations run. */
    async answer(counts: BacklogCounts): Promise<void> {
      const call = calls.shift()
      if (call === undefined) throw new Error('no count query is open')
      call.resolve(counts)
      await new Promise((r) => setImmediate(r))
    },
  }
}

const LIMITS = { pendingEvents: 10, queuedDeliveries: 3 }

function setup() {
  let clock = 0
  const source = fakeSource()
  const log: string[] = []
  const gauge = new BacklogGauge({
    source,
    limits: LIMITS,
    now: () => new Date(clock),
    refreshMs: 1_000,
    onRefusing: (r) => log.push(`refusing ${r.backlog} ${r.count}/${r.limit}`),
    onAccepting: (i) => log.push(`accepting after ${i.refused} refused, ${i.refusingForMs} ms`),
    onRefreshError: () => log.push('refresh failed'),
  })
  return { gauge, source, log, tick: (ms: number) => (clock += ms) }
}

describe('BacklogGauge', () => {
  it('waits for the first count only; later calls never wait and ask the store at most once per second, one query at a time', async () => {
    const { gauge, source, tick } = setup()
    const first = gauge.ready()
    const second = gauge.ready()
    expect(source.calls).toHaveLength(1)
    expect(source.calls[0]!.upTo).toEqual(LIMITS) // each count stops at its cap
    let settled = false
    void first.then(() => (settled = true))
    await new Promise((r) => setImmediate(r))
    expect(settled).toBe(false)
    await source.answer({ pendingEvents: 2, queuedDeliveries: 0 })
    await Promise.all([first, second])

    tick(999)
    await gauge.ready()
    expect(source.calls).toHaveLength(0)
    tick(1)
    // Stale: refreshed in the background; many callers, one query, nobody waits for it.
    await Promise.all(Array.from({ length: 50 }, () => gauge.ready()))
    expect(source.calls).toHaveLength(1)
    tick(5_000)
    await gauge.ready()
    expect(source.calls).toHaveLength(1) // still the one in flight
    await source.answer({ pendingEvents: 4, queuedDeliveries: 0 })
    expect((await gauge.status()).counts.pendingEvents).toBe(4)
  })

  it('adds events accepted since the last count, so a burst passes the cap by at most one batch', async () => {
    const { gauge, source, log } = setup()
    const ready = gauge.ready()
    await source.answer({ pendingEvents: 6, queuedDeliveries: 0 })
    await ready
    expect(gauge.refuse()).toBeUndefined()
    const a = gauge.reserve(3) // 9: still under 10
    expect(gauge.refuse()).toBeUndefined()
    const b = gauge.reserve(3) // 12: one batch over
    const refusal = gauge.refuse()
    expect(refusal).toEqual({ backlog: 'pendingEvents', count: 12, limit: 10, env: 'ALERTMAIL_MAX_PENDING_EVENTS', retryAfterSeconds: 5 })
    b.release() // that insert failed: nothing stored, nothing counted
    expect(gauge.refuse()).toBeUndefined()
    a.commit()
    a.release() // settling twice changes nothing
    expect((await gauge.status()).counts.pendingEvents).toBe(9)
    expect(log).toEqual(['refusing pendingEvents 12/10', 'accepting after 1 refused, 0 ms'])
  })

  it('keeps counting events committed while a count runs, and drops those the count already saw', async () => {
    const { gauge, source, tick } = setup()
    const ready = gauge.ready()
    await source.answer({ pendingEvents: 0, queuedDeliveries: 0 })
    await ready
    gauge.reserve(4).commit() // before the next query starts: the store will have them
    tick(1_000)
    await gauge.ready() // starts the query
    gauge.reserve(2).commit() // while it runs: the answer may or may not include them
    const inflight = gauge.reserve(1) // still inserting
    await source.answer({ pendingEvents: 4, queuedDeliveries: 0 })
    expect((await gauge.status()).counts.pendingEvents).toBe(4 + 2 + 1)
    inflight.commit()
    tick(1_000)
    await gauge.ready()
    await source.answer({ pendingEvents: 7, queuedDeliveries: 0 })
    expect((await gauge.status()).counts.pendingEvents).toBe(7) // all committed before this query: the store's number alone
  })

  it('refuses while deliveries are at their cap, logs once per episode, and accepts again once a count shows the drain', async () => {
    const { gauge, source, log, tick } = setup()
    const ready = gauge.ready()
    await source.answer({ pendingEvents: 0, queuedDeliveries: 3 })
    await ready
    for (let i = 0; i < 100; i++) {
      tick(10)
      await gauge.ready()
      expect(gauge.refuse()?.backlog).toBe('queuedDeliveries')
    }
    expect(log).toEqual(['refusing queuedDeliveries 3/3'])
    expect((await gauge.status()).accepting).toBe(false)
    expect(source.calls).toHaveLength(1) // one refresh after a second of refusals, still unanswered
    await source.answer({ pendingEvents: 0, queuedDeliveries: 2 })
    // The count alone ends the episode: no request is needed for the log and health to say so.
    expect(log).toEqual(['refusing queuedDeliveries 3/3', 'accepting after 100 refused, 990 ms'])
    expect(gauge.refuse()).toBeUndefined()
    expect((await gauge.status()).accepting).toBe(true)
  })

  it('lets the first count fail to the caller and retries it; later failures keep the last count', async () => {
    const { gauge, source, log, tick } = setup()
    const first = gauge.ready()
    source.calls.shift()!.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    await expect(first).rejects.toThrow(/ECONNREFUSED/)
    const again = gauge.ready() // no waiting a second for the database to come back
    await source.answer({ pendingEvents: 1, queuedDeliveries: 3 })
    await again
    tick(1_000)
    await gauge.ready()
    source.calls.shift()!.reject(new Error('gone'))
    await new Promise((r) => setImmediate(r))
    expect(log).toContain('refresh failed')
    expect(gauge.refuse()?.backlog).toBe('queuedDeliveries')
    await gauge.ready()
    expect(source.calls).toHaveLength(0) // at most one attempt per second, failed or not
    tick(1_000)
    await gauge.ready()
    expect(source.calls).toHaveLength(1)
  })

  it('becomes a 503 problem naming the backlog, its count, the limit and the variable, with Retry-After', () => {
    const refusal: BacklogRefusal = { backlog: 'queuedDeliveries', count: 100_000, limit: 100_000, env: 'ALERTMAIL_MAX_QUEUED_DELIVERIES', retryAfterSeconds: 30 }
    const p = problemFromError(new QueueFullError(refusal))
    expect(p).toMatchObject({ status: 503, code: 'ERR_QUEUE_FULL', title: 'Service Unavailable', retryAfter: 30, backlog: 'queuedDeliveries', count: 100_000, limit: 100_000, env: 'ALERTMAIL_MAX_QUEUED_DELIVERIES' })
    expect(p.detail).toMatch(/100000 queued deliveries .* limit of 100000 \(ALERTMAIL_MAX_QUEUED_DELIVERIES\)/)
    expect(p.detail).toMatch(/Nothing of this request was stored/)
  })
})
