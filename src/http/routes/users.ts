import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { SEVERITIES } from '../../outbox/index.js'
import type { Store, User, UserPatch } from '../../outbox/index.js'
import { principalOf } from '../auth.js'
import { HttpProblem, notFound, validationProblem } from '../problem.js'

/** No CR/LF or other controls: the address and name end up in headers and RCPT TO. */
const SingleLine = (max: number, title: string, extra: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*$', title, ...extra })

const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', title: 'HH:MM (24-hour)' })

export const QuietHoursBody = Type.Object(
  {
    start: HhMm,
    end: HhMm,
    timeZone: SingleLine(64, 'IANA time zone', { examples: ['Europe/Berlin'] }),
  },
  { additionalProperties: false, title: 'Quiet hours: everything but critical waits until they end' },
)

const Severities = Type.Array(Type.Union(SEVERITIES.map((s) => Type.Literal(s))), {
  uniqueItems: true,
  maxItems: SEVERITIES.length,
  title: 'Severities this user receives',
})

export const UserBody = Type.Object(
  {
    name: SingleLine(200, 'Name'),
    email: SingleLine(254, 'E-mail address', { format: 'email' }),
    enabled: Type.Boolean({ default: true, title: 'Enabled' }),
    severities: Severities,
    quietHours: Type.Optional(QuietHoursBody),
  },
  { additionalProperties: false },
)
export type UserBody = Static<typeof UserBody>

export const UserPatchBody = Type.Object(
  {
    name: Type.Optional(SingleLine(200, 'Name')),
    email: Type.Optional(SingleLine(254, 'E-mail address', { format: 'email' })),
    enabled: Type.Optional(Type.Boolean()),
    severities: Type.Optional(Severities),
    quietHours: Type.Optional(Type.Union([QuietHoursBody, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UserPatchBody = Static<typeof UserPatchBody>

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

export interface UserRoutesOptions {
  readonly store: Store
  readonly now: () => Date
}

function checkTimeZone(timeZone: string | undefined): void {
  if (timeZone === undefined) return
  try {
    new Intl.DateTimeFormat('en', { timeZone })
  } catch {
    throw validationProblem([{ field: 'quietHours.timeZone', message: `"${timeZone}" is not an IANA time zone` }])
  }
}

function present(user: User) {
  return user
}

/** Registered users (DESIGN.md §3, issue 4 §1): e-mail validated and unique (409). */
export async function userRoutes(fastify: FastifyInstance, opts: UserRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, now } = opts
  const tags = ['users']
  const audit = async (actor: string, action: string, fields: readonly string[]) => {
    await store.appendAudit({ at: now(), actor, action, fields })
  }

  app.get('/users', { schema: { tags, summary: 'List registered users' } }, async () => {
    return { items: (await store.listUsers()).map(present) }
  })

  app.post('/users', { schema: { tags, summary: 'Register a user', body: UserBody } }, async (request, reply) => {
    const body = request.body
    checkTimeZone(body.quietHours?.timeZone)
    const result = await store.createUser({ ...body, email: body.email.trim() }, now())
    if (!result.ok) throw emailTaken(body.email)
    await audit(principalOf(request).id, `user.create:${result.user.id}`, Object.keys(body))
    return reply.code(201).header('location', `/api/v1/users/${result.user.id}`).send(present(result.user))
  })

  app.get('/users/:id', { schema: { tags, summary: 'One user', params: IdParams } }, async (request) => {
    const user = await store.getUser(request.params.id)
    if (!user) throw notFound('This user')
    return present(user)
  })

  app.patch('/users/:id', { schema: { tags, summary: 'Change a user', params: IdParams, body: UserPatchBody } }, async (request) => {
    const body = request.body
    checkTimeZone(body.quietHours?.timeZone ?? undefined)
    const patch: UserPatch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined))
    const result = await store.updateUser(request.params.id, patch, now())
    if (!result.ok) {
      if (result.error === 'not_found') throw notFound('This user')
      throw emailTaken(body.email ?? '')
    }
    await audit(principalOf(request).id, `user.update:${result.user.id}`, Object.keys(patch))
    return present(result.user)
  })

  app.delete('/users/:id', { schema: { tags, summary: 'Remove a user', params: IdParams } }, async (request, reply) => {
    if (!(await store.deleteUser(request.params.id))) throw notFound('This user')
    await audit(principalOf(request).id, `user.delete:${request.params.id}`, [])
    return reply.code(204).send()
  })
}

function emailTaken(email: string): HttpProblem {
  return new HttpProblem(409, 'ERR_USER_EMAIL_TAKEN', `Another user already has the address ${email}.`, {
    errors: [{ field: 'email', message: 'is already registered' }],
  })
}
