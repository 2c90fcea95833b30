import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'
import type { BacklogGauge, BacklogStatus } from '../backlog.js'
import type { MailHealth } from '../mail-health.js'
import { loadSaved } from '../settings-view.js'

export interface MailHealthRoutesOptions {
  readonly store: Store
  readonly mailHealth: MailHealth
  readonly now: () => Date
  /** Failing (or a queue stuck) this long ⇒ `degraded`. */
  readonly degradedAfterMs: number
  /** Intake's backlog limit: when given, the answer says whether new events are refused. */
  readonly backlog?: BacklogGauge | undefined
}

export const MAIL_HEALTH_STATES = ['ok', 'degraded', 'disabled', 'unconfigured'] as const
export type MailHealthState = (typeof MAIL_HEALTH_STATES)[number]

/**
 * GET /api/v1/health: whether mail is getting out, for the UI banner (issue 4 §8). Degraded when
 * sends have failed for `degradedAfterMs` with no success since, or when the oldest waiting
 * delivery is that old (this one sees every process sharing the database).
 */
export async function mailHealthRoutes(app: FastifyInstance, opts: MailHealthRoutesOptions): Promise<void> {
  app.get('/health', { schema: { tags: ['health'], summary: 'Mail health for the UI banner' } }, async () => {
    const now = opts.now()
    const [saved, outbox, intake] = await Promise.all([loadSaved(opts.store), opts.store.metrics(now), intakeStatus(opts.backlog)])
    const snap = opts.mailHealth.snapshot()
    const failingForMs = snap.failingSince ? now.getTime() - snap.failingSince.getTime() : 0
    const reasons: string[] = []
    if (snap.failingSince && failingForMs >= opts.degradedAfterMs) {
      reasons.push(`Mail has been failing for ${Math.round(failingForMs / 60_000)} minutes${snap.lastError ? ` (${snap.lastError.code})` : ''}.`)
    }
    if (outbox.oldestQueuedAgeMs >= opts.degradedAfterMs) {
      reasons.push(`${outbox.queueDepth} notifications are waiting; the oldest for ${Math.round(outbox.oldestQueuedAgeMs / 60_000)} minutes.`)
    }
    // Refusing events is worse than mail being slow: it degrades the status too.
    const refusal = intake?.refusal
    if (refusal !== undefined) {
      const what = refusal.backlog === 'pendingEvents' ? 'events are waiting to be grouped' : 'deliveries are waiting to be sent'
      reasons.push(`New events are refused (503): ${refusal.count} ${what}, the limit is ${refusal.limit} (${refusal.env}).`)
    }
    let status: MailHealthState = reasons.length > 0 ? 'degraded' : 'ok'
    if (status === 'ok' && !saved.settings.enabled) status = 'disabled'
    if (status === 'ok' && saved.settings.enabled && !saved.settings.host) status = 'unconfigured'
    return {
      status,
      reasons,
      failingForMs,
      ...snap,
      queueDepth: outbox.queueDepth,
      oldestQueuedAgeMs: outbox.oldestQueuedAgeMs,
      deliveries: outbox.byState,
      ...(intake === undefined
        ? {}
        : { intake: { accepting: intake.accepting, ...(refusal ? { refusal } : {}), counts: intake.counts, limits: intake.limits } }),
    }
  })
}

/** The backlog gauge's view, or undefined without a gauge or when it cannot count (the database is away). */
async function intakeStatus(backlog: BacklogGauge | undefined): Promise<BacklogStatus | undefined> {
  if (backlog === undefined) return undefined
  try {
    return await backlog.status()
  } catch {
    return undefined
  }
}
