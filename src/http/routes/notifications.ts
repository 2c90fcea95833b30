import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'
import { NotificationPolicy, validateNotificationPolicy } from '../../notify/index.js'
import { principalOf } from '../auth.js'
import { validationProblem, type FieldError } from '../problem.js'
import { changedFields } from '../settings-view.js'

/** Where the grouping policy lives (the composition root wires notify's storage of it). */
export interface PolicyStorage {
  get(): Promise<NotificationPolicy>
  save(policy: NotificationPolicy): Promise<void>
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

/** The grouping policy (issue 4 §4) and the template preview (issue 4 §5). */
export async function notificationRoutes(app: FastifyInstance, opts: NotificationRoutesOptions): Promise<void> {
  app.get('/settings/notifications', { schema: { tags: ['notifications'], summary: 'The grouping policy per severity' } }, async () => ({
    policy: await opts.policy.get(),
    schema: NotificationPolicy,
  }))

  app.put(
    '/settings/notifications',
    {
      validatorCompiler: passThrough,
      schema: { tags: ['notifications'], summary: 'Change the grouping policy (omitted members keep their defaults)', body: NotificationPolicy },
    },
    async (request) => {
      const checked = validateNotificationPolicy(request.body)
      if (!checked.ok) throw validationProblem(checked.errors)
      const before = await opts.policy.get()
      await opts.policy.save(checked.value)
      const fields = changedFields(before, checked.value)
      await opts.store.appendAudit({ at: opts.now(), actor: principalOf(request).id, action: 'settings.notifications.update', fields })
      return { policy: checked.value }
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
