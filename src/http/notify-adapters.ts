import { fromAlertmanager, previewTemplates, validateEvents } from '../notify/index.js'
import type { Notifier, Templates, ValidEvent } from '../notify/index.js'
import type { BacklogGauge } from './backlog.js'
import type { Intake, IntakeResult } from './routes/events.js'
import type { PreviewResult } from './routes/notifications.js'
import type { FieldError } from './problem.js'

type Validation = { readonly ok: true; readonly events: readonly ValidEvent[] } | { readonly ok: false; readonly errors: readonly FieldError[] }

/**
 * notify's validators + `Notifier.accept` (durable before it resolves) as the routes' Intake. With a
 * backlog gauge, a request is refused whole, before validation and before anything is stored, while
 * a backlog is at its limit.
 */
export function createIntake(notifier: Pick<Notifier, 'accept'>, backlog?: BacklogGauge): Intake {
  const accept = async (body: unknown, validate: (body: unknown) => Validation): Promise<IntakeResult> => {
    if (backlog !== undefined) await backlog.ready()
    // From here to reserve() nothing awaits: concurrent requests see each other's reservations, so
    // a burst passes a limit by at most one request's batch.
    const refused = backlog?.refuse()
    if (refused !== undefined) return { ok: false, refused }
    const r = validate(body)
    if (!r.ok) return { ok: false, errors: r.errors }
    const reservation = backlog?.reserve(r.events.length)
    let ids: string[]
    try {
      ids = await notifier.accept(r.events)
    } catch (err) {
      reservation?.release()
      throw err
    }
    reservation?.commit()
    return { ok: true, ids, severities: r.events.map((e) => e.severity) }
  }
  return {
    events: (body) => accept(body, validateEvents),
    alertmanager: (body) => accept(body, fromAlertmanager),
  }
}

const PREVIEW_KINDS = ['alert', 'digest', 'repeat', 'resolution'] as const
type PreviewKind = (typeof PREVIEW_KINDS)[number]

/**
 * POST /api/v1/templates/preview body: `{ templates?: { subject?, text?, html? }, kind?, isSupport? }`.
 * Absent templates: the saved ones (so the preview shows what would be sent now).
 */
export function createPreview(savedTemplates: () => Promise<Templates>): (body: unknown) => Promise<PreviewResult> {
  return async function preview(body) {
    const input = (body ?? {}) as Record<string, unknown>
    const errors: FieldError[] = []
    if (typeof input !== 'object' || Array.isArray(input)) return { ok: false, errors: [{ field: '', message: 'must be an object' }] }
    for (const key of Object.keys(input)) {
      if (!['templates', 'kind', 'isSupport'].includes(key)) errors.push({ field: key, message: 'is not a known field (allowed: templates, kind, isSupport)' })
    }
    const kind = input['kind'] ?? 'alert'
    if (!(PREVIEW_KINDS as readonly unknown[]).includes(kind)) errors.push({ field: 'kind', message: `must be one of ${PREVIEW_KINDS.join(', ')}` })
    const isSupport = input['isSupport'] ?? false
    if (typeof isSupport !== 'boolean') errors.push({ field: 'isSupport', message: 'must be a boolean' })
    const given = input['templates']
    const templates: Partial<Record<keyof Templates, string>> = {}
    if (given !== undefined) {
      if (typeof given !== 'object' || given === null || Array.isArray(given)) {
        errors.push({ field: 'templates', message: 'must be an object with subject, text and/or html' })
      } else {
        for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
          if (key !== 'subject' && key !== 'text' && key !== 'html') errors.push({ field: `templates.${key}`, message: 'is not a known field (allowed: subject, text, html)' })
          else if (typeof value !== 'string') errors.push({ field: `templates.${key}`, message: 'must be a string' })
          else templates[key] = value
        }
      }
    }
    if (errors.length > 0) return { ok: false, errors }
    const base = given === undefined ? await savedTemplates() : { subject: '', text: '', html: '', ...templates }
    const r = previewTemplates(base, { kind: kind as PreviewKind, isSupport: isSupport as boolean })
    return r.ok ? { ok: true, subject: r.subject, text: r.text, html: r.html } : { ok: false, errors: r.errors }
  }
}
