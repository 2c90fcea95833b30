import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'
import { NotificationPolicy, validateNotificationPolicy } from '../../notify/index.js'
import { principalOf } from '../auth.js'
import { HttpProblem, validationProblem, type FieldError } from '../problem.js'
import { changedFields } from '../settings-view.js'

/** The policy with its compare-and-swap version (0: never saved, the defaults apply). */
export interface VersionedPolicy {
  readonly policy: NotificationPolicy
  readonly version: number
}

export type SavePolicyOutcome = ({ readonly ok: true } & VersionedPolicy) | { readonly ok: false; readonly current: VersionedPolicy }

/** Where the grouping policy lives (the composition root wires the database-backed one). */
export interface PolicyStorage {
  /** Possibly cached for a few seconds (the notifier's per-tick read). */
  get(): Promise<VersionedPolicy>
  /** Current, from the database. */
  read(): Promise<VersionedPolicy>
  /** Compare-and-swap on `expectedVersion`. */
  save(policy: NotificationPolicy, expectedVersion: number): Promise<SavePolicyOutcome>
}

export type PreviewResult =
  | { readonly ok: true; readonly subject: string; readonly text: string; readonly html: string }
  | { readonly ok: false; readonly errors: readonly FieldError[] }

export interface NotificationRoutesOptions {
  readonly store: Store
  readonly now: () => Date
  readonly policy: PolicyStorage
  /** Renders templates (overrides or the defaults) for a sample event; errors name the template field. */
  readonly preview: (body: unknown) => Promise<PreviewResult>
}

const passThrough = () => (data: unknown) => ({ value: data })

/** The PUT body as documented: the policy plus the optional version it was loaded at. */
const PolicyBody = Type.Object(
  {
    ...NotificationPolicy.properties,
    version: Type.Optional(Type.Integer({ minimum: 0, description: 'The version from GET; when sent, a newer stored policy is a 409 conflict instead of being overwritten' })),
  },
  { additionalProperties: false, title: 'NotificationPolicyUpdate' },
)

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Splits the optional `version` off the body (the policy schema itself has no such member). */
function splitVersion(body: unknown): { policy: unknown; version: number | undefined; errors: FieldError[] } {
  if (!isObject(body) || !('version' in body)) return { policy: body, version: undefined, errors: [] }
  const { version, ...policy } = body
  if (typeof version === 'number' && Number.isInteger(version) && version >= 0) return { policy, version, errors: [] }
  return { policy, version: undefined, errors: [{ field: 'version', message: 'must be the version from GET (an integer, 0 before the first save), or omitted' }] }
}

function conflict(current: VersionedPolicy): HttpProblem {
  return new HttpProblem(409, 'ERR_SETTINGS_VERSION_CONFLICT', 'The notification policy was changed by someone else since you loaded it; review the current values and save again.', {
    extensions: { current },
  })
}

/** The grouping policy (issue 4 §4) and the template preview (issue 4 §5). */
export async function notificationRoutes(app: FastifyInstance, opts: NotificationRoutesOptions): Promise<void> {
  app.get('/settings/notifications', { schema: { tags: ['notifications'], summary: 'The grouping policy per severity, with its version' } }, async () => {
    const { policy, version } = await opts.policy.read()
    return { policy, version, schema: NotificationPolicy }
  })

  app.put(
    '/settings/notifications',
    {
      validatorCompiler: passThrough,
      schema: {
        tags: ['notifications'],
        summary: 'Change the grouping policy (omitted members keep their defaults; send version to refuse overwriting a newer change)',
        body: PolicyBody,
      },
    },
    async (request) => {
      const body = splitVersion(request.body)
      const checked = validateNotificationPolicy(body.policy)
      const errors = [...body.errors, ...(checked.ok ? [] : checked.errors)]
      if (errors.length > 0 || !checked.ok) throw validationProblem(errors)
      const before = await opts.policy.read()
      if (body.version !== undefined && body.version !== before.version) throw conflict(before)
      // Without a version the last writer wins, as before versions existed; the swap still keeps
      // the audit's "before" exact.
      const saved = await opts.policy.save(checked.value, before.version)
      if (!saved.ok) throw conflict(saved.current)
      const fields = changedFields(before.policy, saved.policy)
      await opts.store.appendAudit({ at: opts.now(), actor: principalOf(request).id, action: 'settings.notifications.update', fields })
      return { policy: saved.policy, version: saved.version }
    },
  )

  app.post(
    '/templates/preview',
    { validatorCompiler: passThrough, schema: { tags: ['notifications'], summary: 'Render subject, text and HTML templates for a sample alert' } },
    async (request) => {
      const result = await opts.preview(request.body)
      if (!result.ok) throw validationProblem(result.errors)
      return { subject: result.subject, text: result.text, html: result.html }
    },
  )
}
