import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'

const AuditQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1–1000, default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

/** Who changed what and when (issue 3 §4); secrets appear as field names only. */
export async function auditRoutes(fastify: FastifyInstance, opts: { readonly store: Store }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/audit', { schema: { tags: ['settings'], summary: 'Audit log, newest first', querystring: AuditQuery } }, async (request) => {
    const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? 50)))
    const cursor = request.query.cursor
    return opts.store.listAudit(cursor === undefined ? { limit } : { limit, cursor })
  })
}
