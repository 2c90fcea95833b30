/**
 * Intake's backlog limit (issue 6 §6): when work piles up faster than it drains, intake refuses
 * with 503 and Retry-After instead of letting the database grow without bound. Two backlogs count:
 *
 * - pending events: accepted but not yet folded into a notification. During a DDoS the grouper
 *   folds thousands of events a second into a few mails, so this cap is generous; reaching it means
 *   the grouper is stuck or far behind.
 * - queued deliveries: notifications not yet sent, failed or suppressed (queued, retrying, unknown,
 *   sending). This is what piles up behind a dead relay.
 *
 * Counting must not cost a query per request in a storm: the store is asked at most once per
 * `refreshMs` (one query in flight at a time), and events accepted since are added locally, so a
 * burst overshoots a cap by at most one request's batch. Other processes sharing the database are
 * seen at the next refresh.
 */
import type { BacklogCounts, Store } from '../outbox/index.js'

export const BACKLOG_NAMES = ['pendingEvents', 'queuedDeliveries'] as const
export type BacklogName = (typeof BACKLOG_NAMES)[number]

export interface BacklogInfo {
  /** Metric label (`alertmail_intake_refused_total{reason}`). */
  readonly reason: string
  readonly label: string
  readonly env: string
  /**
   * What the client should wait (RFC 9110 §10.2.3): the grouper's pass comes within seconds; a
   * relay coming back takes longer, and retrying sooner only adds load.
   */
  readonly retryAfterSeconds: number
  readonly hint: string
}

export const BACKLOGS: Readonly<Record<BacklogName, BacklogInfo>> = {
  pendingEvents: {
    reason: 'pending_events',
    label: 'pending events (accepted, not yet folded into a notification)',
    env: 'ALERTMAIL_MAX_PENDING_EVENTS',
    retryAfterSeconds: 5,
    hint: 'The notifier is behind; see the server log.',
  },
  queuedDeliveries: {
    reason: 'queued_deliveries',
    label: 'queued deliveries (not yet sent, failed or suppressed)',
    env: 'ALERTMAIL_MAX_QUEUED_DELIVERIES',
    retryAfterSeconds: 30,
    hint: 'Mail is not getting out: check the relay (System → E-Mail, Send Test Mail) and the delivery log.',
  },
}

/** Defaults of ALERTMAIL_MAX_PENDING_EVENTS and ALERTMAIL_MAX_QUEUED_DELIVERIES. */
export const DEFAULT_BACKLOG_LIMITS: BacklogCounts = { pendingEvents: 1_000_000, queuedDeliveries: 100_000 }

/** Why intake refuses: the backlog, its count (at least this many), its limit and what sets it. */
export interface BacklogRefusal {
  readonly backlog: BacklogName
  readonly count: number
  readonly limit: number
  readonly env: string
  readonly retryAfterSeconds: number
}

/** Thrown by intake when a backlog is at its limit; problem.ts answers it with 503 and Retry-After. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError'
  readonly code = 'ERR_QUEUE_FULL'
  readonly refusal: BacklogRefusal

  constructor(refusal: BacklogRefusal) {
    const info = BACKLOGS[refusal.backlog]
    super(
      `Intake is refusing events: ${refusal.count} ${info.label} reached the limit of ${refusal.limit} ` +
        `(${refusal.env}). Nothing of this request was stored; retry after ${refusal.retryAfterSeconds} s. ${info.hint}`,
    )
    this.refusal = refusal
  }
}

/** Events counted against the pending-events cap while their insert runs. */
export interface Reservation {
  /** The insert committed: the events stay counted until a refresh sees them in the store. */
  commit(): void
  /** The insert failed: nothing was stored, so nothing stays counted. */
  release(): void
}

export interface BacklogStatus {
  readonly accepting: boolean
  readonly refusal: BacklogRefusal | undefined
  /** Counts as intake sees them (store + accepted since the last refresh); capped near the limits. */
  readonly counts: BacklogCounts
  readonly limits: BacklogCounts
  readonly refreshedAt: Date | undefined
}

export interface BacklogGaugeOptions {
  readonly source: Pick<Store, 'countBacklog'>
  readonly limits: BacklogCounts
  readonly now?: () => Date
  /** The store is asked at most this often. Default 1,000 ms. */
  readonly refreshMs?: number
  /** Intake went from accepting to refusing (once per episode, not per request). */
  readonly onRefusing?: (refusal: BacklogRefusal) => void
  /** Intake accepts again after refusing `refused` requests for `refusingForMs`. */
  readonly onAccepting?: (info: { readonly refused: number; readonly refusingForMs: number }) => void
  /** A background refresh failed; the last counts stay in use and the next call tries again. */
  readonly onRefreshError?: (error: unknown) => void
}

/**
 * The backlog as intake sees it. Use from a request, with no `await` between `refuse()` and
 * `reserve()` so concurrent requests see each other's reservations:
 *
 * @example
 * await gauge.ready()
 * const refusal = gauge.refuse()
 * if (refusal) throw new QueueFullError(refusal)
 * const r = gauge.reserve(events.length)
 * try { await store.insertEvents(rows); r.commit() } catch (e) { r.release(); throw e }
 */
export class BacklogGauge {
  readonly limits: BacklogCounts
  readonly #source: Pick<Store, 'countBacklog'>
  readonly #now: () => Date
  readonly #refreshMs: number
  readonly #onRefusing: NonNullable<BacklogGaugeOptions['onRefusing']>
  readonly #onAccepting: NonNullable<BacklogGaugeOptions['onAccepting']>
  readonly #onRefreshError: NonNullable<BacklogGaugeOptions['onRefreshError']>
  /** The last answer of the store; undefined before the first. */
  #stored: BacklogCounts | undefined
  #refreshedAt: Date | undefined
  /** When the last refresh started (ms); -Infinity: never. */
  #refreshStartedAt = -Infinity
  #inflight: Promise<void> | undefined
  /** Events whose insert is running. */
  #inserting = 0
  /** Events committed since the running/last refresh started (the store may not have seen them). */
  #committed = 0
  #refusingSince: number | undefined
  #refused = 0

  constructor(opts: BacklogGaugeOptions) {
    this.#source = opts.source
    this.limits = Object.freeze({ ...opts.limits })
    this.#now = opts.now ?? (() => new Date())
    this.#refreshMs = opts.refreshMs ?? 1_000
    this.#onRefusing = opts.onRefusing ?? (() => undefined)
    this.#onAccepting = opts.onAccepting ?? (() => undefined)
    this.#onRefreshError = opts.onRefreshError ?? (() => undefined)
  }

  /**
   * Waits only for the very first count (a store error then reaches the caller). Afterwards it never
   * waits: a count older than `refreshMs` is refreshed in the background, one query at a time.
   */
  ready(): Promise<void> {
    const t = this.#now().getTime()
    if (t - this.#refreshStartedAt < this.#refreshMs) return this.#stored === undefined ? (this.#inflight ?? this.#refresh(t)) : Promise.resolve()
    const flight = this.#refresh(t)
    return this.#stored === undefined ? flight : Promise.resolve()
  }

  /** The refusal when a backlog is at or over its limit (and counts it), else undefined. Synchronous. */
  refuse(): BacklogRefusal | undefined {
    const refusal = this.#over()
    if (refusal !== undefined) this.#refused++
    this.#transition(refusal)
    return refusal
  }

  /** Counts `events` as pending from now on. Synchronous; call right after `refuse()` said no. */
  reserve(events: number): Reservation {
    this.#inserting += events
    let settled = false
    const settle = (committed: boolean) => {
      if (settled) return
      settled = true
      this.#inserting -= events
      if (committed) this.#committed += events
    }
    return { commit: () => settle(true), release: () => settle(false) }
  }

  /** For health and metrics: refreshes first when the count is stale (at most once per `refreshMs`). */
  async status(): Promise<BacklogStatus> {
    await this.ready()
    const refusal = this.#over()
    this.#transition(refusal)
    return { accepting: refusal === undefined, refusal, counts: this.#counts(), limits: this.limits, refreshedAt: this.#refreshedAt }
  }

  #counts(): BacklogCounts {
    const stored = this.#stored ?? { pendingEvents: 0, queuedDeliveries: 0 }
    return { pendingEvents: stored.pendingEvents + this.#inserting + this.#committed, queuedDeliveries: stored.queuedDeliveries }
  }

  /** Deliveries first: a dead relay is the likelier cause and the one the operator can fix. */
  #over(): BacklogRefusal | undefined {
    const counts = this.#counts()
    for (const backlog of ['queuedDeliveries', 'pendingEvents'] as const) {
      if (counts[backlog] >= this.limits[backlog]) {
        const info = BACKLOGS[backlog]
        return { backlog, count: counts[backlog], limit: this.limits[backlog], env: info.env, retryAfterSeconds: info.retryAfterSeconds }
      }
    }
    return undefined
  }

  #transition(refusal: BacklogRefusal | undefined): void {
    const t = this.#now().getTime()
    if (refusal !== undefined && this.#refusingSince === undefined) {
      this.#refusingSince = t
      this.#onRefusing(refusal)
    } else if (refusal === undefined && this.#refusingSince !== undefined) {
      const info = { refused: this.#refused, refusingForMs: t - this.#refusingSince }
      this.#refusingSince = undefined
      this.#refused = 0
      this.#onAccepting(info)
    }
  }

  #refresh(t: number): Promise<void> {
    if (this.#inflight !== undefined) return this.#inflight
    this.#refreshStartedAt = t
    // Events committed before the query starts are in its answer; later ones may or may not be, so
    // they stay counted locally until the next refresh (counted twice at worst: never too few).
    const committedBefore = this.#committed
    const flight = this.#source.countBacklog(this.limits).then(
      (counts) => {
        this.#stored = counts
        this.#refreshedAt = new Date(t)
        this.#committed -= committedBefore
        if (this.#refusingSince !== undefined) this.#transition(this.#over())
      },
      (error: unknown) => {
        if (this.#stored === undefined) {
          // Nothing to decide with yet: the caller gets the store's error (503 ERR_STORE_UNAVAILABLE).
          this.#refreshStartedAt = -Infinity
          throw error
        }
        this.#onRefreshError(error)
      },
    )
    this.#inflight = flight.finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }
}
