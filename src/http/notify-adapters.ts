import { fromAlertmanager, previewTemplates, validateEvents } from '../notify/index.js'
import type { Notifier, Templates, ValidEvent } from '../notify/index.js'
import type { Intake, IntakeResult } from './routes/events.js'
import type { PreviewResult } from './routes/notifications.js'
import type { FieldError } from './problem.js'

/** notify's validators + `Notifier.accept` (durable before it resolves) as the routes' Intake. */
export function createIntake(notifier: Pick<Notifier, 'accept'>): Intake {
  const accept = async (events: readonly ValidEvent[]): Promise<IntakeResult> => ({
    ok: true,
    ids: await notifier.accept(events),
    severities: events.map((e) => e.severity),
  })
  return {
    async events(body) {
      const r = validateEvents(body)
      return r.ok ? accept(r.events) : { ok: false, errors: r.errors }
    },
    async alertmanager(body) {
      const r = fromAlertmanager(body)
      return r.ok ? accept(r.events) : { ok: false, errors: r.errors }
    },
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
