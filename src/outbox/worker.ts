import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { hostname } from 'node:os'
import { SmtpPool, type SmtpOptions } from '../smtp/index.js'
import type { EmailSettings } from '../settings/index.js'
import { attemptDelivery, type AttemptContext } from './attempt.js'
import type { AttemptCompletion, OutboxStore } from './port.js'
import { RateLimiter } from './rate-limiter.js'
import type { Delivery } from './records.js'
import { RetryPolicy } from './retry-policy.js'
import type { MessageSender } from './send-message.js'

/** What the worker needs to send: the saved settings and the SMTP options built from them (with secrets). */
export interface WorkerConfig {
  readonly settings: EmailSettings
  readonly smtp: SmtpOptions
}

/** An SmtpPool, or anything with its shape. */
export interface PoolLike extends MessageSender {
  close(): Promise<void>
}

export interface WorkerStats {
  /** Loop iterations (tests wait on it instead of sleeping). */
  readonly cycles: number
  readonly claimed: number
  readonly sent: number
  readonly retried: number
  readonly unknown: number
  readonly failed: number
  /** Completions skipped because the lease had moved to another worker. */
  readonly lostLeases: number
  readonly inFlight: number
}

export interface WorkerOptions {
  readonly store: Pick<OutboxStore, 'claimDue' | 'completeAttempts' | 'renewLeases' | 'releaseLeases'>
  /**
   * Called before each claim; keep it cheap (cache). `undefined`, `enabled: false` or an empty host
   * ⇒ nothing is sent (queued mail waits). Only types come from settings/: no settings internals here.
   */
  readonly getConfig: () => Promise<WorkerConfig | undefined> | WorkerConfig | undefined
  /**
   * Lease owner id; default `${hostname}:${pid}:${uuid}`. Rows still leased to this id when the worker
   * starts are a previous run's (crash, SIGKILL) and are resumed at once: pass a stable id (e.g.
   * `sqlite:<dataDir>`) only where one process alone can use the database, never on shared PostgreSQL.
   */
  readonly owner?: string
  /**
   * Default 60 s, renewed every third of it while a send is in flight; after a crash, another worker
   * (or the restarted process, which has a new owner id) resumes the rows when it runs out.
   */
  readonly leaseMs?: number
  /** Most deliveries in flight at once (the pool spreads them over maxConnections). Default 32. */
  readonly concurrency?: number
  /** Wait between polls when nothing is due. Default 1,000 ms. */
  readonly pollIntervalMs?: number
  readonly now?: () => number
  /** Resolves after `ms` or when `signal` aborts (then it may resolve or reject). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  readonly random?: () => number
  readonly createSender?: (smtp: SmtpOptions) => PoolLike
  readonly onError?: (err: unknown) => void
}

const DEFAULTS = { leaseMs: 60_000, concurrency: 32, pollIntervalMs: 1_000 } as const

/**
 * Resolves after `ms` or when `signal` aborts, never rejecting: timers/promises would reject with
 * a new AbortError (stack trace and all) on every nudge, and a nudge comes with every request.
 */
function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** The abort reason of a nudge: a given reason spares AbortController.abort() building a DOMException. */
const NUDGE = 'nudge'

/**
 * Options key of a pool: a changed setting gets a new pool. A token provider function compares by
 * presence, so the OAuth2 client settings it was built from are part of the key. In memory only.
 */
function poolKey(cfg: WorkerConfig): string {
  return JSON.stringify([cfg.smtp, cfg.settings.oauth2], (_k, v: unknown) => (typeof v === 'function' ? '[fn]' : v))
}

/**
 * The delivery worker: claims due deliveries with a lease, sends each through the pool, records
 * every attempt, retries transient failures with backoff and jitter, dead-letters the rest.
 *
 * @example
 * const worker = new Worker({ store, getConfig: () => settingsCache.workerConfig() })
 * worker.start()
 * // …
 * await worker.stop()
 */
export class Worker {
  readonly #store: WorkerOptions['store']
  readonly #getConfig: WorkerOptions['getConfig']
  readonly #owner: string
  readonly #leaseMs: number
  readonly #concurrency: number
  readonly #pollMs: number
  readonly #now: () => number
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>
  readonly #random: () => number
  readonly #createSender: (smtp: SmtpOptions) => PoolLike
  readonly #onError: (err: unknown) => void

  readonly #inFlight = new Map<string, Delivery>()
  readonly #done: AttemptCompletion[] = []
  /** Aborted after the stop grace period: sends still running are cancelled. */
  readonly #abort = new AbortController()
  #wake = new AbortController()
  /** A pause is waiting on #wake: only then does a nudge need to abort it. */
  #sleeping = false
  /** Nudged while not sleeping: the next pause returns at once. */
  #nudged = false
  #loop: Promise<void> | undefined
  #stopping = false
  #flushing: Promise<void> = Promise.resolve()
  #sender: { key: string; pool: PoolLike } | undefined
  #limiter: RateLimiter | undefined
  #renewTimer: NodeJS.Timeout | undefined
  #stats = { cycles: 0, claimed: 0, sent: 0, retried: 0, unknown: 0, failed: 0, lostLeases: 0 }

  constructor(opts: WorkerOptions) {
    this.#store = opts.store
    this.#getConfig = opts.getConfig
    this.#owner = opts.owner ?? `${hostname()}:${process.pid}:${randomUUID()}`
    this.#leaseMs = opts.leaseMs ?? DEFAULTS.leaseMs
    this.#concurrency = Math.max(1, opts.concurrency ?? DEFAULTS.concurrency)
    this.#pollMs = opts.pollIntervalMs ?? DEFAULTS.pollIntervalMs
    this.#now = opts.now ?? Date.now
    this.#sleep = opts.sleep ?? defaultSleep
    this.#random = opts.random ?? Math.random
    this.#createSender = opts.createSender ?? ((smtp) => new SmtpPool(smtp))
    this.#onError = opts.onError ?? (() => {})
    // One signal is handed to every concurrent send (up to `concurrency`, default 32), and each
    // registers its own abort listener: past Node's default of 10 that is expected, not a leak, so
    // lift the limit on this signal only instead of printing MaxListenersExceededWarning.
    setMaxListeners(0, this.#abort.signal)
  }

  get owner(): string {
    return this.#owner
  }

  get stats(): WorkerStats {
    return { ...this.#stats, inFlight: this.#inFlight.size }
  }

  get running(): boolean {
    return this.#loop !== undefined && !this.#stopping
  }

  start(): void {
    if (this.#loop !== undefined) return
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(100, Math.floor(this.#leaseMs / 3)))
    this.#renewTimer.unref()
    this.#loop = this.#resume()
      .then(() => this.#run())
      .catch((err: unknown) => this.#onError(err))
  }

  /** Claim now instead of at the next poll (e.g. right after enqueue). */
  nudge(): void {
    // Aborting builds a DOMException: on the hot path (one nudge per request) only abort a pause
    // that is actually waiting, otherwise just remember it for the next one.
    if (this.#sleeping) {
      this.#sleeping = false
      this.#wake.abort(NUDGE)
    } else {
      this.#nudged = true
    }
  }

  /**
   * Stops claiming, lets in-flight sends finish for up to `graceMs`, then cancels the rest and gives
   * their leases back (they are due again at once, for this or another worker), records what
   * finished, and closes the pool.
   */
  async stop(opts: { readonly graceMs?: number } = {}): Promise<void> {
    this.#stopping = true
    this.nudge()
    await this.#loop
    // Wall-clock grace (performance.now): the injected clock is for the domain's timestamps and may be frozen.
    const grace = opts.graceMs ?? 10_000
    const deadline = performance.now() + grace
    while (this.#inFlight.size > 0 && performance.now() < deadline) await this.#pause(Math.min(50, grace))
    const abandoned = [...this.#inFlight.keys()]
    if (abandoned.length > 0) {
      this.#inFlight.clear()
      this.#abort.abort()
    }
    await this.#flush()
    if (this.#renewTimer !== undefined) clearInterval(this.#renewTimer)
    if (abandoned.length > 0) {
      await this.#store.releaseLeases(this.#owner, new Date(this.#now()), abandoned).catch((e: unknown) => this.#onError(e))
    }
    const sender = this.#sender
    this.#sender = undefined
    await sender?.pool.close().catch((e: unknown) => this.#onError(e))
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      this.#stats.cycles++
      const free = this.#concurrency - this.#inFlight.size
      // Refill when half the slots are free: fewer, larger claims.
      if (free < Math.ceil(this.#concurrency / 2)) {
        await this.#pause(this.#pollMs)
        continue
      }
      const cfg = await this.#config()
      if (cfg === undefined) {
        await this.#pause(this.#pollMs)
        continue
      }
      const limiter = this.#limiterFor(cfg.settings.rateLimitPerMinute)
      const budget = Math.min(free, limiter.available())
      if (budget < 1) {
        await this.#pause(Math.max(1, Math.min(this.#pollMs, limiter.msUntilNext())))
        continue
      }
      let claimed: readonly Delivery[]
      try {
        claimed = await this.#store.claimDue({ owner: this.#owner, now: new Date(this.#now()), leaseMs: this.#leaseMs, limit: budget })
      } catch (err) {
        this.#onError(err)
        await this.#pause(this.#pollMs)
        continue
      }
      if (claimed.length === 0) {
        await this.#pause(this.#pollMs)
        continue
      }
      limiter.take(claimed.length)
      this.#stats.claimed += claimed.length
      const ctx = this.#context(cfg)
      for (const d of claimed) this.#launch(d, ctx)
    }
  }

  /** A previous run under the same owner id died with rows leased: they are due again now. */
  async #resume(): Promise<void> {
    try {
      await this.#store.releaseLeases(this.#owner, new Date(this.#now()))
    } catch (err) {
      this.#onError(err)
    }
  }

  async #config(): Promise<WorkerConfig | undefined> {
    try {
      const cfg = await this.#getConfig()
      if (cfg === undefined || !cfg.settings.enabled || cfg.smtp.host === '') return undefined
      return cfg
    } catch (err) {
      this.#onError(err)
      return undefined
    }
  }

  #context(cfg: WorkerConfig): AttemptContext {
    const key = poolKey(cfg)
    if (this.#sender?.key !== key) {
      // Settings changed: new connections for new sends; the old pool finishes its own and quits.
      const old = this.#sender
      this.#sender = { key, pool: this.#createSender(cfg.smtp) }
      if (old !== undefined) void old.pool.close().catch((e: unknown) => this.#onError(e))
    }
    return {
      owner: this.#owner,
      settings: cfg.settings,
      smtp: cfg.smtp,
      sender: this.#sender.pool,
      policy: new RetryPolicy(cfg.settings.retry, { random: this.#random }),
      now: this.#now,
      signal: this.#abort.signal,
    }
  }

  #limiterFor(perMinute: number): RateLimiter {
    if (this.#limiter?.perMinute !== perMinute) this.#limiter = new RateLimiter(perMinute, this.#now)
    return this.#limiter
  }

  #launch(d: Delivery, ctx: AttemptContext): void {
    this.#inFlight.set(d.id, d)
    void attemptDelivery(d, ctx).then((completion) => {
      // Abandoned at stop: its lease is released instead of recording a cancelled attempt.
      if (!this.#inFlight.delete(d.id)) return
      this.#count(completion)
      this.#done.push(completion)
      void this.#flush()
      // The loop refills only once half the slots are free: waking it for every completion before
      // that would only send it back to sleep.
      if (this.#concurrency - this.#inFlight.size >= Math.ceil(this.#concurrency / 2)) this.nudge()
    })
  }

  #count(c: AttemptCompletion): void {
    const s = this.#stats
    if (c.next.state === 'sent') s.sent++
    else if (c.next.state === 'failed') s.failed++
    else if (c.next.state === 'unknown') s.unknown++
    else s.retried++
  }

  /** Batched status writes: completions that finish while a write runs go in the next one. */
  #flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const batch = this.#done.splice(0)
      if (batch.length === 0) return
      try {
        const written = await this.#store.completeAttempts(batch, new Date(this.#now()))
        this.#stats.lostLeases += batch.length - written.length
      } catch (err) {
        // The leases stay ours until they expire; try again with the next batch.
        this.#onError(err)
        this.#done.unshift(...batch)
      }
    })
    return this.#flushing
  }

  async #renew(): Promise<void> {
    const ids = [...this.#inFlight.keys()]
    if (ids.length === 0) return
    try {
      await this.#store.renewLeases(this.#owner, ids, new Date(this.#now() + this.#leaseMs))
    } catch (err) {
      this.#onError(err)
    }
  }

  /** Sleeps up to `ms`, or until nudged (a send finished, stop(), nudge()). */
  async #pause(ms: number): Promise<void> {
    if (this.#nudged) {
      this.#nudged = false
      return
    }
    if (this.#wake.signal.aborted) this.#wake = new AbortController()
    this.#sleeping = true
    try {
      await this.#sleep(ms, this.#wake.signal)
    } finally {
      this.#sleeping = false
    }
  }
}
