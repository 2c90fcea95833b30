import { describe, expect, it } from 'vitest'
import {
  Pruner,
  type PruneCounts,
  type PrunerOptions,
  type PrunerTimer,
  type RetentionStore,
} from './retention.js'

const DAY = 86_400_000
const NOW = new Date('2026-03-01T12:00:00Z')
const COUNTS: PruneCounts = { events: 3, notifications: 2, deliveries: 5, attempts: 7 }

/** Timers that fire only when the test says so. */
class FakeTimers {
  readonly pending: { fn: () => void; ms: number; cancelled: boolean }[] = []
  readonly set = (fn: () => void, ms: number): PrunerTimer => {
    const t = { fn, ms, cancelled: false }
    this.pending.push(t)
    return { cancel: () => (t.cancelled = true) }
  }
  /** The live timers' delays. */
  live(): number[] {
    return this.pending.filter((t) => !t.cancelled).map((t) => t.ms)
  }
  fire(): void {
    const t = this.pending.find((x) => !x.cancelled)
    if (t === undefined) throw new Error('no timer pending')
    t.cancelled = true
    t.fn()
  }
}

/** A store whose passes end when the test resolves them. */
class FakeStore implements RetentionStore {
  readonly calls: { cutoff: Date; batch: number; signal: AbortSignal | undefined }[] = []
  readonly #ends: { resolve: (c: PruneCounts) => void; reject: (e: unknown) => void }[] = []
  running = 0
  maxRunning = 0

  pruneBefore(cutoff: Date, batch: number, signal?: AbortSignal): Promise<PruneCounts> {
    this.calls.push({ cutoff, batch, signal })
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)
    return new Promise<PruneCounts>((resolve, reject) => this.#ends.push({ resolve, reject })).finally(
      () => this.running--,
    )
  }
  finish(counts: PruneCounts = COUNTS): void {
    this.#next().resolve(counts)
  }
  fail(err: unknown): void {
    this.#next().reject(err)
  }
  #next() {
    const end = this.#ends.shift()
    if (end === undefined) throw new Error('no pass running')
    return end
  }
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

function setup(over: Partial<PrunerOptions> = {}) {
  const store = new FakeStore()
  const timers = new FakeTimers()
  const pruned: { counts: PruneCounts; cutoff: Date }[] = []
  const errors: unknown[] = []
  const pruner = new Pruner({
    store,
    retentionDays: 30,
    everyMs: 3_600_000,
    firstDelayMs: 60_000,
    now: () => NOW,
    setTimer: timers.set,
    onPruned: (counts, cutoff) => pruned.push({ counts, cutoff }),
    onError: (err) => errors.push(err),
    ...over,
  })
  return { store, timers, pruned, errors, pruner }
}

describe('Pruner', () => {
  it('refuses a retention that is not a whole number of days from 1 to 36,500, naming the field', () => {
    for (const retentionDays of [0, -1, 1.5, Number.NaN, 36_501]) {
      expect(() => setup({ retentionDays }), String(retentionDays)).toThrow(
        /retentionDays must be a whole number of days from 1 to 36500/,
      )
    }
    expect(() => setup({ retentionDays: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_RETENTION_DAYS' }),
    )
    expect(() => setup({ retentionDays: 1 })).not.toThrow()
  })

  it('runs the first pass soon after start, then one every interval after the previous ended', async () => {
    const { store, timers, pruned, pruner } = setup({ batch: 500 })
    expect(timers.live()).toEqual([])
    pruner.start()
    pruner.start()
    expect(timers.live()).toEqual([60_000])
    expect(store.calls).toHaveLength(0)

    timers.fire()
    expect(store.calls).toEqual([
      { cutoff: new Date(NOW.getTime() - 30 * DAY), batch: 500, signal: expect.any(AbortSignal) },
    ])
    // The next pass is scheduled only once this one has ended.
    await settle()
    expect(timers.live()).toEqual([])
    store.finish()
    await settle()
    expect(pruned).toEqual([{ counts: COUNTS, cutoff: new Date(NOW.getTime() - 30 * DAY) }])
    expect(timers.live()).toEqual([3_600_000])

    timers.fire()
    expect(store.calls).toHaveLength(2)
    store.finish({ events: 0, notifications: 0, deliveries: 0, attempts: 0 })
    await settle()
    expect(pruned).toHaveLength(2)
    expect(timers.live()).toEqual([3_600_000])
    await pruner.stop()
  })

  it('never runs two passes at once: pruneNow during a pass joins it', async () => {
    const { store, timers, pruner } = setup()
    pruner.start()
    const manual = pruner.pruneNow()
    const again = pruner.pruneNow()
    expect(again).toBe(manual)
    // The scheduled pass comes due while the manual one still runs.
    timers.fire()
    await settle()
    expect(store.calls).toHaveLength(1)
    expect(store.maxRunning).toBe(1)
    store.finish()
    expect(await manual).toEqual(COUNTS)
    await settle()
    // Only one follow-up is scheduled, and a later pass is a new one.
    expect(timers.live()).toEqual([3_600_000])
    const next = pruner.pruneNow()
    expect(next).not.toBe(manual)
    expect(store.calls).toHaveLength(2)
    store.finish()
    await next
    expect(store.maxRunning).toBe(1)
    await pruner.stop()
  })

  it('stop() cancels the schedule, aborts the running pass between batches and waits for it to end', async () => {
    const { store, timers, pruned, pruner } = setup()
    pruner.start()
    timers.fire()
    const signal = store.calls[0]?.signal
    expect(signal?.aborted).toBe(false)

    let stopped = false
    const stopping = pruner.stop().then(() => (stopped = true))
    expect(signal?.aborted).toBe(true)
    await settle()
    expect(stopped).toBe(false)

    store.finish({ events: 0, notifications: 0, deliveries: 2, attempts: 1 })
    await stopping
    expect(stopped).toBe(true)
    expect(pruned.map((p) => p.counts.deliveries)).toEqual([2])
    expect(timers.live()).toEqual([])
    expect(await pruner.pruneNow()).toBeUndefined()
    expect(store.calls).toHaveLength(1)
    pruner.start()
    expect(timers.live()).toEqual([])
  })

  it('stop() before the first pass cancels it', async () => {
    const { store, timers, pruner } = setup()
    pruner.start()
    await pruner.stop()
    expect(timers.live()).toEqual([])
    expect(store.calls).toHaveLength(0)
  })

  it('reports a failed pass and keeps the schedule', async () => {
    const { store, timers, errors, pruned, pruner } = setup()
    pruner.start()
    timers.fire()
    const boom = new Error('database is locked')
    store.fail(boom)
    await settle()
    expect(errors).toEqual([boom])
    expect(pruned).toEqual([])
    expect(timers.live()).toEqual([3_600_000])
    await pruner.stop()
  })

  it('computes the cutoff from the injected clock at the start of each pass', async () => {
    let now = NOW
    const { store, pruner } = setup({ retentionDays: 1, now: () => now })
    const first = pruner.pruneNow()
    now = new Date(NOW.getTime() + 5 * DAY)
    store.finish()
    await first
    const second = pruner.pruneNow()
    store.finish()
    await second
    expect(store.calls.map((c) => c.cutoff)).toEqual([
      new Date(NOW.getTime() - DAY),
      new Date(NOW.getTime() + 4 * DAY),
    ])
    expect(pruner.cutoff()).toEqual(new Date(NOW.getTime() + 4 * DAY))
  })
})
