/**
 * The event a producer posts to `POST /api/v1/events` (DESIGN.md §3): a TypeBox schema for the HTTP
 * routes and OpenAPI, and `validateEvents()`, which accepts one event or an array and names the field of
 * every problem ('[3].severity: must be one of critical, high, medium, low, info').
 *
 * The validator is hand-written against the same limits as the schema so that its messages are plain
 * sentences; a test keeps schema and validator in agreement.
 */
import { Type, type Static } from '@sinclair/typebox'
import { fieldPath, isPlainObject, type FieldIssue } from './field-issue.js'
import { EVENT_STATUSES, SEVERITIES, isSeverity, type EventStatus, type Severity } from './severity.js'

export const EVENT_LIMITS = {
  title: 500,
  message: 10_000,
  source: 200,
  category: 200,
  dedupKey: 256,
  labels: 64,
  labelName: 128,
  labelValue: 1024,
  /** Events per request. */
  batch: 1000,
} as const

const EVENT_FIELDS = ['severity', 'title', 'message', 'source', 'category', 'labels', 'dedupKey', 'occurredAt', 'status'] as const

export const EventInput = Type.Object(
  {
    severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s)), { description: 'Routing: users subscribe to severities.' }),
    title: Type.String({ minLength: 1, maxLength: EVENT_LIMITS.title }),
    message: Type.Optional(Type.String({ maxLength: EVENT_LIMITS.message })),
    source: Type.Optional(Type.String({ maxLength: EVENT_LIMITS.source, description: 'Grouping: with category.' })),
    category: Type.Optional(Type.String({ maxLength: EVENT_LIMITS.category })),
    labels: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: EVENT_LIMITS.labelName }), Type.String({ maxLength: EVENT_LIMITS.labelValue }), {
        maxProperties: EVENT_LIMITS.labels,
      }),
    ),
    dedupKey: Type.Optional(Type.String({ minLength: 1, maxLength: EVENT_LIMITS.dedupKey, description: 'Same key within the dedup window ⇒ one notification with a count.' })),
    occurredAt: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.Integer({ minimum: 0 })], { description: 'RFC 3339 date-time or epoch milliseconds.' }),
    ),
    status: Type.Optional(Type.Union(EVENT_STATUSES.map((s) => Type.Literal(s)), { default: 'firing' })),
  },
  { additionalProperties: false, title: 'Event' },
)
export type EventInput = Static<typeof EventInput>

/** Body of POST /api/v1/events: one event or an array of up to 1,000. */
export const EventsBody = Type.Union([EventInput, Type.Array(EventInput, { minItems: 1, maxItems: EVENT_LIMITS.batch })])
export type EventsBody = Static<typeof EventsBody>

/** An event after validation: optional fields made explicit, times as Dates. */
export interface ValidEvent {
  readonly severity: Severity
  readonly title: string
  readonly message: string | null
  readonly source: string | null
  readonly category: string | null
  readonly labels: Readonly<Record<string, string>>
  readonly dedupKey: string | null
  readonly occurredAt: Date | null
  readonly status: EventStatus
}

export type ValidateEventsResult =
  | { readonly ok: true; readonly events: readonly ValidEvent[] }
  | { readonly ok: false; readonly errors: readonly FieldIssue[] }

/**
 * Validates a request body: one event object or an array of 1–1,000.
 * @example
 * const r = validateEvents([{ severity: 'critical', title: 'SYN flood on edge-3', source: 'edge-3' }])
 * if (!r.ok) reply.code(400).send(r.errors) // [{ field: '[0].severity', message: '…' }]
 */
export function validateEvents(body: unknown): ValidateEventsResult {
  if (Array.isArray(body)) {
    if (body.length === 0) return { ok: false, errors: [{ field: '', message: 'must contain at least one event' }] }
    if (body.length > EVENT_LIMITS.batch) {
      return { ok: false, errors: [{ field: '', message: `must contain at most ${EVENT_LIMITS.batch} events (got ${body.length})` }] }
    }
    const errors: FieldIssue[] = []
    const events: ValidEvent[] = []
    body.forEach((item, i) => {
      const r = validateEvent(item, fieldPath('', i))
      if (r.ok) events.push(r.event)
      else errors.push(...r.errors)
    })
    return errors.length > 0 ? { ok: false, errors } : { ok: true, events }
  }
  const r = validateEvent(body, '')
  return r.ok ? { ok: true, events: [r.event] } : { ok: false, errors: r.errors }
}

type One = { ok: true; event: ValidEvent } | { ok: false; errors: FieldIssue[] }

/** Validates one event object; `at` prefixes the field names ('' or '[3]'). */
export function validateEvent(input: unknown, at: string): One {
  if (!isPlainObject(input)) return { ok: false, errors: [{ field: at, message: 'must be an object' }] }
  const errors: FieldIssue[] = []
  const issue = (key: string, message: string): void => {
    errors.push({ field: fieldPath(at, key), message })
  }
  for (const key of Object.keys(input)) {
    if (!(EVENT_FIELDS as readonly string[]).includes(key)) issue(key, `is not a known field (allowed: ${EVENT_FIELDS.join(', ')})`)
  }
  const severity = input['severity']
  if (severity === undefined) issue('severity', 'is required')
  else if (!isSeverity(severity)) issue('severity', `must be one of ${SEVERITIES.join(', ')}`)

  const title = text(input, 'title', EVENT_LIMITS.title, true, issue)
  const message = text(input, 'message', EVENT_LIMITS.message, false, issue)
  const source = text(input, 'source', EVENT_LIMITS.source, false, issue)
  const category = text(input, 'category', EVENT_LIMITS.category, false, issue)
  const dedupKey = text(input, 'dedupKey', EVENT_LIMITS.dedupKey, false, issue)
  const labels = validateLabels(input['labels'], fieldPath(at, 'labels'), errors)
  const occurredAt = parseTime(input['occurredAt'], (m) => issue('occurredAt', m))

  const status = input['status'] ?? 'firing'
  if (!(EVENT_STATUSES as readonly unknown[]).includes(status)) issue('status', `must be one of ${EVENT_STATUSES.join(', ')}`)

  if (errors.length > 0) return { ok: false, errors }
  return {
    ok: true,
    event: {
      severity: severity as Severity,
      title: title ?? '',
      message: message ?? null,
      source: source || null,
      category: category || null,
      labels,
      dedupKey: dedupKey || null,
      occurredAt,
      status: status as EventStatus,
    },
  }
}

function text(
  input: Record<string, unknown>,
  key: string,
  max: number,
  required: boolean,
  issue: (key: string, message: string) => void,
): string | undefined {
  const value = input[key]
  if (value === undefined || (value === null && !required)) {
    if (required) issue(key, 'is required')
    return undefined
  }
  if (typeof value !== 'string') {
    issue(key, 'must be a string')
    return undefined
  }
  const trimmed = value.trim()
  if (required && trimmed === '') issue(key, 'must not be empty')
  if (value.length > max) issue(key, `must be at most ${max} characters (got ${value.length})`)
  return trimmed
}

/** Labels: string → string, at most 64; names without control characters. */
export function validateLabels(value: unknown, at: string, errors: FieldIssue[]): Record<string, string> {
  const labels: Record<string, string> = {}
  if (value === undefined || value === null) return labels
  if (!isPlainObject(value)) {
    errors.push({ field: at, message: 'must be an object of string values' })
    return labels
  }
  const entries = Object.entries(value)
  if (entries.length > EVENT_LIMITS.labels) {
    errors.push({ field: at, message: `must have at most ${EVENT_LIMITS.labels} entries (got ${entries.length})` })
    return labels
  }
  for (const [name, v] of entries) {
    const field = `${at}.${name}`
    // eslint-disable-next-line no-control-regex
    if (name.length === 0 || name.length > EVENT_LIMITS.labelName || /[\u0000-\u001f\u007f]/.test(name)) {
      errors.push({ field, message: `name must be 1–${EVENT_LIMITS.labelName} characters without control characters` })
    } else if (typeof v !== 'string') {
      errors.push({ field, message: 'must be a string' })
    } else if (v.length > EVENT_LIMITS.labelValue) {
      errors.push({ field, message: `must be at most ${EVENT_LIMITS.labelValue} characters (got ${v.length})` })
    } else {
      labels[name] = v
    }
  }
  return labels
}

/** RFC 3339 date-time (with a zone) or epoch milliseconds; null when absent. */
export function parseTime(value: unknown, issue: (message: string) => void): Date | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 8.64e15) return new Date(value)
    issue('must be a non-negative integer of epoch milliseconds or an RFC 3339 date-time')
    return null
  }
  // RFC 3339 §5.6: full-date "T" full-time, the offset required.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value)) {
    const d = new Date(value)
    if (!Number.isNaN(d.getTime())) return d
  }
  issue('must be an RFC 3339 date-time with a time zone (2026-11-27T21:43:00Z) or epoch milliseconds')
  return null
}
