import type { FastifyInstance } from 'fastify'
import { AlertmanagerPayload } from '../../notify/index.js'
import { accept, EVENTS_BODY_LIMIT, passThrough, type IntakeOptions } from './events.js'

/** POST /api/v1/integrations/alertmanager: the Alertmanager webhook (version 4). */
export async function alertmanagerRoutes(app: FastifyInstance, opts: IntakeOptions): Promise<void> {
  app.post(
    '/integrations/alertmanager',
    {
      bodyLimit: EVENTS_BODY_LIMIT,
      validatorCompiler: passThrough,
      schema: { tags: ['events'], summary: 'Prometheus Alertmanager webhook receiver (payload version 4); 503 ERR_QUEUE_FULL while a backlog is at its limit (Alertmanager retries 5xx)', body: AlertmanagerPayload },
    },
    async (request, reply) => {
      const body = await accept(opts, 'alertmanager', await opts.intake.alertmanager(request.body))
      return reply.code(202).send(body)
    },
  )
}
