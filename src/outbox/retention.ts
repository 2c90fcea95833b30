/**
 * Retention runner (issue 6 §6): every `everyMs` it asks the store to delete what is older than the
 * retention period. The store decides what is safe to delete (src/store/retention-queries.ts); this
 * file only knows when and how old. Nothing here knows SQL.
 */

/** Rows deleted by one pass. */
export interface PruneCounts {
  readonly events: number
  readonly notifications: number
  readonly deliveries: number
  readonly attempts: number
}

/** The one thing the Pruner needs from the store. */
export interface RetentionStore {
  /**
   * Deletes finished deliveries (with their attempts), notifications left without deliveries and
   * processed events older than `cutoff`, at most `batch` rows per statement. When `signal` aborts
   * it stops after the batch in progress and returns what it deleted so far.
   */
  pruneBefore(cutoff: Date, batch: number, signal?: AbortSignal): Promise<PruneCounts>
}

/** A scheduled callback that can be cancelled (a fake clock in tests, setTimeout otherwise). */
export interface PrunerTimer {
  cancel(): void
}

export interface PrunerOptions {
  readonly store: RetentionStore
  /**
   * Whole days, 1 to 36,500. The notifier's longest policy windows (dedup / repeat, at most 24 h) live
   * in group_states, which retention never touches; a day is still the floor, so nothing a window
   * might look at is ever younger than what is deleted.
   */
  readonly retentionDays: number
  /** Between the end of one pass and the start of the next. Default 1 h. */
  readonly everyMs?: number
  /** Before the first pass after start(): soon, but not in the middle of start-up. Default 1 min. */
  readonly firstDelayMs?: number
  /** Rows per statement. Default 2,000. */
  readonly batch?: number
  readonly now?: () => Date
  /** Schedules `fn` after `ms`; default an unref'd setTimeout (a pending pass never keeps the process alive). */
  readonly setTimer?: (fn: () => void, ms: number) => PrunerTimer
  /** After every pass, with what it deleted (all zeros included) and the cutoff it used. */
  readonly onPruned?: (counts: PruneCounts, cutoff: Date) => void
  readonly onError?: (err: unknown) => void
}

const DAY_MS = 86_400_000
export const RETENTION_DEFAULTS = { everyMs: 3_600_000, firstDelayMs: 60_000, batch: 2_000 } as const
export const RETENTION_DAYS_RANGE = { min: 1, max: 36_500 } as const

function defaultSetTimer(fn: () => void, ms: number): PrunerTimer {
  const t = setTimeout(fn, ms)
  t.unref()
  return { cancel: () => clearTimeout(t) }
}

/**
 * Runs the store's pruning on a schedule, one pass at a time: the next pass is scheduled only when
 * the previous one has finished, and pruneNow() during a pass joins it instead of starting another.
 *
 * @example
 * const pruner = new Pruner({ store, retentionDays: 30, onPruned: (c) => logger.info(c, 'pruned') })
 * pruner.start()
 * // …
 * await pruner.stop()
 */
export class Pruner {
  readonly #store: RetentionStore
  readonly #retentionMs: number
  readonly #everyMs: number
  readonly #firstDelayMs: number
  readonly #batch: number
  readonly #now: () => Date
  readonly #setTimer: (fn: () => void, ms: number) => PrunerTimer
  readonly #onPruned: (counts: PruneCounts, cutoff: Date) => void
  readonly #onError: (err: unknown) => void
  readonly #abort = new AbortController()
  #timer: PrunerTimer | undefined
  #running: Promise<PruneCounts | undefined> | undefined
  #started = false
  #stopped = false

  constructor(opts: PrunerOptions) {
    const days = opts.retentionDays
    const { min, max } = RETENTION_DAYS_RANGE
    if (!Number.isInteger(days) || days < min || days > max) {
      throw Object.assign(
        new RangeError(
          `retentionDays must be a whole number of days from ${min} to ${max}, got ${String(days)}`,
        ),
        {
          code: 'ERR_CONFIG_RETENTION_DAYS',
        },
      )
    }
    this.#store = opts.store
    this.#retentionMs = days * DAY_MS
    this.#everyMs = Math.max(1, opts.everyMs ?? RETENTION_DEFAULTS.everyMs)
    this.#firstDelayMs = Math.max(0, opts.firstDelayMs ?? RETENTION_DEFAULTS.firstDelayMs)
    this.#batch = Math.max(1, Math.trunc(opts.batch ?? RETENTION_DEFAULTS.batch))
    this.#now = opts.now ?? (() => new Date())
    this.#setTimer = opts.setTimer ?? defaultSetTimer
    this.#onPruned = opts.onPruned ?? (() => {})
    this.#onError = opts.onError ?? (() => {})
  }

  /** Rows older than this are deleted by a pass starting now. */
  cutoff(): Date {
    return new Date(this.#now().getTime() - this.#retentionMs)
  }

  /** Schedules the first pass after `firstDelayMs`, then one every `everyMs`. */
  start(): void {
    if (this.#started || this.#stopped) return
    this.#started = true
    this.#schedule(this.#firstDelayMs)
  }

  /**
   * Runs a pass now, or joins the one running. Resolves with its counts; undefined when the pass
   * failed (reported to onError) or the pruner is stopped.
   */
  pruneNow(): Promise<PruneCounts | undefined> {
    if (this.#running !== undefined) return this.#running
    if (this.#stopped) return Promise.resolve(undefined)
    const pass = this.#pass().finally(() => {
      this.#running = undefined
    })
    this.#running = pass
    return pass
  }

  /** No further passes; a pass in progress stops after its current batch, and stop() waits for it. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#timer?.cancel()
    this.#timer = undefined
    this.#abort.abort()
    await this.#running
  }

  #schedule(ms: number): void {
    if (this.#stopped) return
    this.#timer = this.#setTimer(() => {
      this.#timer = undefined
      void this.pruneNow().then(() => this.#schedule(this.#everyMs))
    }, ms)
  }

  async #pass(): Promise<PruneCounts | undefined> {
    const cutoff = this.cutoff()
    try {
      const counts = await this.#store.pruneBefore(cutoff, this.#batch, this.#abort.signal)
      this.#onPruned(counts, cutoff)
      return counts
    } catch (err) {
      this.#onError(err)
      return undefined
    }
  }
}
