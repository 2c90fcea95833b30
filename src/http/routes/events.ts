import type { FastifyInstance } from 'fastify'
import { EventsBody } from '../../notify/index.js'
import type { Severity } from '../../outbox/index.js'
import { BACKLOGS, QueueFullError, type BacklogRefusal } from '../backlog.js'
import type { Metrics } from '../metrics.js'
import { validationProblem, type FieldError } from '../problem.js'

/**
 * Intake as the HTTP layer sees it: validate (field-named errors), then store durably. The
 * composition root adapts notify's `validateEvents` / `fromAlertmanager` / `Notifier` to it.
 */
export interface Intake {
  /** One event or an array of up to 1,000 (DESIGN.md §3). */
  events(body: unknown): Promise<IntakeResult>
  /** A Prometheus Alertmanager webhook payload, version 4. */
  alertmanager(body: unknown): Promise<IntakeResult>
}

export type IntakeResult =
  /** `ids` in input order, committed to the database before this resolves. */
  | { readonly ok: true; readonly ids: readonly string[]; readonly severities: readonly Severity[] }
  | { readonly ok: false; readonly errors: readonly FieldError[] }
  /** A backlog is at its limit: nothing was validated or stored (503 ERR_QUEUE_FULL). */
  | { readonly ok: false; readonly refused: BacklogRefusal }

export interface IntakeOptions {
  readonly intake: Intake
  readonly metrics: Metrics
  readonly now: () => Date
  readonly wake?: (() => void) | undefined
}

/** 1,000 events with long messages and labels fit; anything larger is refused with 413. */
export const EVENTS_BODY_LIMIT = 8 * 1024 * 1024

/**
 * The intake validates with its own plain-sentence messages (notify's validator), so Fastify's
 * schema validation is switched off here; the schema still documents the body in OpenAPI.
 */
export const passThrough = () => (data: unknown) => ({ value: data })

/**
 * Validated and stored ⇒ counted and answered with the ids; invalid ⇒ 400 naming the fields; a
 * backlog at its limit ⇒ 503 ERR_QUEUE_FULL with Retry-After (problem.ts says why 503, not 429).
 */
export async function accept(
  opts: IntakeOptions,
  via: 'api' | 'alertmanager',
  result: IntakeResult,
): Promise<{ ids: readonly string[] }> {
  if (!result.ok && 'refused' in result) {
    opts.metrics.intakeRefused.inc({ reason: BACKLOGS[result.refused.backlog].reason })
    throw new QueueFullError(result.refused)
  }
  if (!result.ok) throw validationProblem(result.errors)
  for (const severity of result.severities) opts.metrics.eventsReceived.inc({ severity, via })
  opts.wake?.()
  return { ids: result.ids }
}

/** POST /api/v1/events: durable before `202 { ids }` (issue 4 §2). */
export async function eventRoutes(app: FastifyInstance, opts: IntakeOptions): Promise<void> {
  app.post(
    '/events',
    {
      bodyLimit: EVENTS_BODY_LIMIT,
      validatorCompiler: passThrough,
      schema: {
        tags: ['events'],
        summary: 'Post one event or an array of up to 1,000 (202 once stored; 503 ERR_QUEUE_FULL with Retry-After while a backlog is at its limit)',
        body: EventsBody,
      },
    },
    async (request, reply) => {
      const body = await accept(opts, 'api', await opts.intake.events(request.body))
      return reply.code(202).send(body)
    },
  )
}
