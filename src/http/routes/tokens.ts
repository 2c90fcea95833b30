import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'
import { generateToken } from '../admin-token.js'
import { hashToken, principalOf } from '../auth.js'
import { notFound } from '../problem.js'

const TokenBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*$', title: 'What uses this token' }) },
  { additionalProperties: false },
)
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

/**
 * Producer tokens (role `events`: may only POST events and Alertmanager webhooks). The secret is
 * returned once, at creation; the store keeps only its SHA-256.
 */
export async function tokenRoutes(fastify: FastifyInstance, opts: { readonly store: Store; readonly now: () => Date }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, now } = opts
  const tags = ['tokens']

  app.post('/tokens', { schema: { tags, summary: 'Create an events-only producer token (shown once)', body: TokenBody } }, async (request, reply) => {
    const token = generateToken('am_ev_')
    const created = await store.createToken({ name: request.body.name, role: 'events', hash: hashToken(token) }, now())
    await store.appendAudit({ at: now(), actor: principalOf(request).id, action: `token.create:${created.id}`, fields: ['name', 'role'] })
    return reply.code(201).send({ ...created, token })
  })

  app.get('/tokens', { schema: { tags, summary: 'List tokens (never their secrets)' } }, async () => ({
    items: await store.listTokens(),
  }))

  app.delete('/tokens/:id', { schema: { tags, summary: 'Revoke a token', params: IdParams } }, async (request, reply) => {
    if (!(await store.revokeToken(request.params.id, now()))) throw notFound('This live token')
    await store.appendAudit({ at: now(), actor: principalOf(request).id, action: `token.revoke:${request.params.id}`, fields: [] })
    return reply.code(204).send()
  })
}
