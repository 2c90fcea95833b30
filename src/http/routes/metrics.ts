import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'
import type { Metrics } from '../metrics.js'

export interface MetricsRoutesOptions {
  readonly store: Pick<Store, 'metrics'>
  readonly metrics: Metrics
  readonly now: () => Date
}

/** Prometheus exposition at /metrics (like /healthz, outside /api and without a token). */
export async function metricsRoutes(app: FastifyInstance, opts: MetricsRoutesOptions): Promise<void> {
  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (request, reply) => {
    try {
      opts.metrics.setOutbox(await opts.store.metrics(opts.now()))
    } catch (err) {
      // Still expose process metrics and counters when the database is down.
      request.log.warn({ err }, 'metrics: outbox counts unavailable')
    }
    const { contentType, body } = await opts.metrics.render()
    return reply.type(contentType).send(body)
  })
}
