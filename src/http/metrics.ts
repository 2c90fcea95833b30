import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { DELIVERY_STATES } from '../outbox/index.js'
import type { OutboxMetrics, OutboxStore } from '../outbox/index.js'
import { BACKLOG_NAMES, BACKLOGS, type BacklogGauge } from './backlog.js'
import type { MailHealth } from './mail-health.js'

/**
 * Prometheus metrics (issue 4 §8), one registry per app so tests can build several side by side.
 * Counters are fed by the routes (events) and by the composition root (send outcomes); the
 * queue gauges are read from the store at scrape time, so they are right across processes.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly eventsReceived: Counter<'severity' | 'via'>
  readonly sendDuration: Histogram<'outcome'>
  readonly smtpErrors: Counter<'code'>
  /** Intake requests answered 503 ERR_QUEUE_FULL, by the backlog at its limit. */
  readonly intakeRefused: Counter<'reason'>
  /** Rows deleted by retention passes, by table. */
  readonly pruned: Counter<'table'>
  readonly #deliveries: Gauge<'state'>
  readonly #queueDepth: Gauge
  readonly #oldestAge: Gauge

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry]
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'alertmail_' })
    this.eventsReceived = new Counter({
      name: 'alertmail_events_received_total',
      help: 'Events accepted for processing, by severity and intake (api or alertmanager).',
      labelNames: ['severity', 'via'] as const,
      registers,
    })
    this.sendDuration = new Histogram({
      name: 'alertmail_send_duration_seconds',
      help: 'Time of one delivery attempt, connect to final reply, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    })
    this.smtpErrors = new Counter({
      name: 'alertmail_smtp_errors_total',
      help: 'Failed delivery attempts by error code (ERR_SMTP_*), or reply code when the server refused.',
      labelNames: ['code'] as const,
      registers,
    })
    this.intakeRefused = new Counter({
      name: 'alertmail_intake_refused_total',
      help: 'Intake requests (events, Alertmanager) refused with 503 because a backlog reached its limit, by backlog (pending_events, queued_deliveries).',
      labelNames: ['reason'] as const,
      registers,
    })
    for (const name of BACKLOG_NAMES) this.intakeRefused.inc({ reason: BACKLOGS[name].reason }, 0)
    this.pruned = new Counter({
      name: 'alertmail_pruned_rows_total',
      help: 'Rows deleted by retention (ALERTMAIL_RETENTION_DAYS), by table (events, notifications, deliveries, attempts).',
      labelNames: ['table'] as const,
      registers,
    })
    this.#deliveries = new Gauge({
      name: 'alertmail_deliveries',
      help: 'Per-recipient notification deliveries by state.',
      labelNames: ['state'] as const,
      registers,
    })
    this.#queueDepth = new Gauge({
      name: 'alertmail_queue_depth',
      help: 'Deliveries waiting to be sent (queued, retrying, unknown, sending).',
      registers,
    })
    this.#oldestAge = new Gauge({
      name: 'alertmail_queue_oldest_age_seconds',
      help: 'Age of the oldest delivery still waiting; 0 when the queue is empty.',
      registers,
    })
  }

  /** Sets the queue gauges from the store's counts (called before each scrape). */
  setOutbox(m: OutboxMetrics): void {
    for (const state of DELIVERY_STATES) this.#deliveries.set({ state }, m.byState[state])
    this.#queueDepth.set(m.queueDepth)
    this.#oldestAge.set(m.oldestQueuedAgeMs / 1000)
  }

  /**
   * Exports intake's backlog: pending events (the delivery backlog is alertmail_queue_depth above),
   * each limit, and whether intake refuses, read from the gauge at scrape time (it asks the store at
   * most once a second).
   */
  observeBacklog(backlog: BacklogGauge): void {
    const registers = [this.registry]
    // The gauge asks the store at most once per second, one query at a time, so both gauges may ask;
    // a failing store leaves the last values.
    const status = () => backlog.status().catch(() => undefined)
    new Gauge({
      name: 'alertmail_pending_events',
      help: 'Events accepted but not yet folded into a notification (counted up to ALERTMAIL_MAX_PENDING_EVENTS).',
      registers,
      async collect() {
        const s = await status()
        if (s) this.set(s.counts.pendingEvents)
      },
    })
    new Gauge({
      name: 'alertmail_intake_limit',
      help: 'Backlog at which intake refuses with 503 (ALERTMAIL_MAX_PENDING_EVENTS, ALERTMAIL_MAX_QUEUED_DELIVERIES).',
      labelNames: ['backlog'] as const,
      registers,
      collect() {
        for (const name of BACKLOG_NAMES) this.set({ backlog: BACKLOGS[name].reason }, backlog.limits[name])
      },
    })
    new Gauge({
      name: 'alertmail_intake_refusing',
      help: '1 while intake refuses new events because a backlog is at its limit, else 0.',
      registers,
      async collect() {
        const s = await status()
        if (s) this.set(s.accepting ? 0 : 1)
      },
    })
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}

type AttemptWriter = Pick<OutboxStore, 'claimDue' | 'completeAttempts' | 'renewLeases' | 'releaseLeases'>

/**
 * The worker's store with every completed attempt also counted: send latency by outcome, SMTP
 * failures by reply code (or 'connection' when there was no reply), and the mail-health state.
 * A refused recipient (permanent, with a reply) is the address's problem, not the relay's.
 */
export function observeAttempts<S extends AttemptWriter>(store: S, metrics: Metrics, health: MailHealth): AttemptWriter {
  return {
    claimDue: (o) => store.claimDue(o),
    renewLeases: (owner, ids, until) => store.renewLeases(owner, ids, until),
    releaseLeases: (owner, now, ids) => store.releaseLeases(owner, now, ids),
    async completeAttempts(completions, now) {
      const written = await store.completeAttempts(completions, now)
      for (const c of completions) {
        const a = c.attempt
        metrics.sendDuration.observe({ outcome: a.outcome }, a.ms / 1000)
        if (a.outcome === 'sent') {
          health.recordSuccess()
          continue
        }
        const code = a.code === undefined ? 'connection' : String(a.code)
        metrics.smtpErrors.inc({ code })
        if (a.outcome !== 'permanent' || a.code === undefined) {
          health.recordFailure(code, a.reply ?? (c.next.state === 'failed' ? c.next.reason : 'delivery attempt failed'))
        }
      }
      return written
    },
  }
}
