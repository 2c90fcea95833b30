import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'
import type { MailHealth } from '../mail-health.js'
import { loadSaved } from '../settings-view.js'

export interface MailHealthRoutesOptions {
  readonly store: Store
  readonly mailHealth: MailHealth
  readonly now: () => Date
  /** Failing (or a queue stuck) this long ⇒ `degraded`. */
  readonly degradedAfterMs: number
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
    const [saved, outbox] = await Promise.all([loadSaved(opts.store), opts.store.metrics(now)])
    const snap = opts.mailHealth.snapshot()
    const failingForMs = snap.failingSince ? now.getTime() - snap.failingSince.getTime() : 0
    const reasons: string[] = []
    if (snap.failingSince && failingForMs >= opts.degradedAfterMs) {
      reasons.push(`Mail has been failing for ${Math.round(failingForMs / 60_000)} minutes${snap.lastError ? ` (${snap.lastError.code})` : ''}.`)
    }
    if (outbox.oldestQueuedAgeMs >= opts.degradedAfterMs) {
      reasons.push(`${outbox.queueDepth} notifications are waiting; the oldest for ${Math.round(outbox.oldestQueuedAgeMs / 60_000)} minutes.`)
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
    }
  })
}
