import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'
import { HttpProblem, STORE_RETRY_AFTER_SECONDS } from '../problem.js'

export interface HealthRoutesOptions {
  readonly store: Pick<Store, 'ping'>
}

/** Liveness and readiness probes; no authentication, no secrets. */
export async function healthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  const hidden = { hide: false, tags: ['health'] }
  app.get('/healthz', { schema: { ...hidden, summary: 'The process is up' } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { ...hidden, summary: 'The database is reachable (503 otherwise)' } }, async (request) => {
    try {
      await opts.store.ping()
    } catch (err) {
      request.log.warn({ err }, 'readiness check: database unreachable')
      throw new HttpProblem(503, 'ERR_NOT_READY', 'The database is not reachable.', { extensions: { retryAfter: STORE_RETRY_AFTER_SECONDS } })
    }
    return { status: 'ready' }
  })
}
