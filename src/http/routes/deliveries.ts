import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { DELIVERY_STATES, SEVERITIES } from '../../outbox/index.js'
import type { DeliveryQuery, Store } from '../../outbox/index.js'
import { principalOf } from '../auth.js'
import { HttpProblem, notFound, validationProblem } from '../problem.js'

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)))

const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(literals(DELIVERY_STATES)),
    severity: Type.Optional(literals(SEVERITIES)),
    since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date-time; deliveries created at or after it' })),
    notificationId: Type.Optional(Type.String({ maxLength: 100 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1–1000, default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

export interface DeliveryRoutesOptions {
  readonly store: Store
  readonly now: () => Date
  /** Tells the worker there is due work (after a manual retry). */
  readonly wake?: (() => void) | undefined
}

/** The delivery log (issue 4 §7): per-recipient state, attempts with redacted transcripts, manual retry. */
export async function deliveryRoutes(fastify: FastifyInstance, opts: DeliveryRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, now } = opts
  const tags = ['deliveries']

  app.get('/deliveries', { schema: { tags, summary: 'Delivery log, newest first', querystring: DeliveriesQuery } }, async (request) => {
    const q = request.query
    let since: Date | undefined
    if (q.since !== undefined) {
      since = new Date(q.since)
      if (Number.isNaN(since.getTime())) throw validationProblem([{ field: 'since', message: 'must be an ISO 8601 date-time' }])
    }
    const query: DeliveryQuery = {
      status: q.status,
      severity: q.severity,
      since,
      notificationId: q.notificationId,
      limit: Math.min(1000, Math.max(1, Number(q.limit ?? 50))),
      cursor: q.cursor,
    }
    return store.listDeliveries(query)
  })

  app.get('/deliveries/:id', { schema: { tags, summary: 'One delivery with its attempts and transcripts', params: IdParams } }, async (request) => {
    const delivery = await store.getDelivery(request.params.id)
    if (!delivery) throw notFound('This delivery')
    return delivery
  })

  app.post('/deliveries/:id/retry', { schema: { tags, summary: 'Retry a failed delivery now', params: IdParams } }, async (request) => {
    const result = await store.retryDelivery(request.params.id, now())
    if (!result.ok) {
      if (result.error === 'not_found') throw notFound('This delivery')
      throw new HttpProblem(409, 'ERR_DELIVERY_NOT_FAILED', 'Only a failed delivery can be retried.')
    }
    await store.appendAudit({ at: now(), actor: principalOf(request).id, action: `delivery.retry:${request.params.id}`, fields: [] })
    opts.wake?.()
    return result.delivery
  })
}
