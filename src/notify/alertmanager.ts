/**
 * Prometheus Alertmanager webhook receiver, payload version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config): each alert becomes one
 * event. Alertmanager has already grouped and de-duplicated; we keep its `fingerprint` as the dedupKey
 * so our own window and the firing → resolved pair work per alert.
 *
 * Severity mapping (the `severity` label, case-insensitive), decided here:
 *   critical, crit, page, error, emergency, alert, fatal, disaster → critical (someone is paged)
 *   high, major                                                   → high
 *   warning, warn, medium, moderate, average                      → medium (the usual non-paging level:
 *                                                                   "warning" is the bulk of most rule sets)
 *   low, minor                                                    → low
 *   info, informational, notice, none, debug                      → info
 *   missing or anything else                                      → medium (never dropped, never paging)
 */
import { Type, type Static } from '@sinclair/typebox'
import { createHash } from 'node:crypto'
import { EVENT_LIMITS, parseTime, validateLabels, type ValidEvent } from './event.js'
import { fieldPath, isPlainObject, type FieldIssue } from './field-issue.js'
import type { Severity } from './severity.js'

const SEVERITY_LABELS: Readonly<Record<string, Severity>> = {
  critical: 'critical', crit: 'critical', page: 'critical', error: 'critical', emergency: 'critical',
  alert: 'critical', fatal: 'critical', disaster: 'critical',
  high: 'high', major: 'high',
  warning: 'medium', warn: 'medium', medium: 'medium', moderate: 'medium', average: 'medium',
  low: 'low', minor: 'low',
  info: 'info', informational: 'info', notice: 'info', none: 'info', debug: 'info',
}

/** The severity for an Alertmanager `severity` label value (see the table above). */
export function mapAlertmanagerSeverity(label: string | undefined): Severity {
  if (label === undefined) return 'medium'
  return SEVERITY_LABELS[label.trim().toLowerCase()] ?? 'medium'
}

const StringMap = Type.Record(Type.String(), Type.String())

export const AlertmanagerAlert = Type.Object({
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  labels: StringMap,
  annotations: Type.Optional(StringMap),
  startsAt: Type.Optional(Type.String()),
  endsAt: Type.Optional(Type.String()),
  generatorURL: Type.Optional(Type.String()),
  fingerprint: Type.Optional(Type.String()),
})

/** The webhook body, version 4; unknown fields are allowed (Alertmanager adds some over time). */
export const AlertmanagerPayload = Type.Object(
  {
    version: Type.Literal('4'),
    groupKey: Type.Optional(Type.String()),
    truncatedAlerts: Type.Optional(Type.Integer()),
    status: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
    receiver: Type.Optional(Type.String()),
    groupLabels: Type.Optional(StringMap),
    commonLabels: Type.Optional(StringMap),
    commonAnnotations: Type.Optional(StringMap),
    externalURL: Type.Optional(Type.String()),
    alerts: Type.Array(AlertmanagerAlert, { minItems: 1, maxItems: EVENT_LIMITS.batch }),
  },
  { title: 'AlertmanagerPayload' },
)
export type AlertmanagerPayload = Static<typeof AlertmanagerPayload>

export type FromAlertmanagerResult =
  | { readonly ok: true; readonly events: readonly ValidEvent[] }
  | { readonly ok: false; readonly errors: readonly FieldIssue[] }

/**
 * Maps an Alertmanager v4 webhook payload to events; errors name the field ('alerts[2].status').
 * @example
 * const r = fromAlertmanager(request.body)
 * if (r.ok) await notifier.accept(r.events)
 */
export function fromAlertmanager(payload: unknown): FromAlertmanagerResult {
  if (!isPlainObject(payload)) return { ok: false, errors: [{ field: '', message: 'must be an object' }] }
  const errors: FieldIssue[] = []
  if (payload['version'] !== '4') {
    errors.push({ field: 'version', message: `must be "4" (the Alertmanager webhook payload version), got ${JSON.stringify(payload['version'] ?? null)}` })
  }
  const alerts = payload['alerts']
  if (!Array.isArray(alerts)) {
    errors.push({ field: 'alerts', message: 'must be an array of alerts' })
    return { ok: false, errors }
  }
  if (alerts.length === 0) errors.push({ field: 'alerts', message: 'must contain at least one alert' })
  if (alerts.length > EVENT_LIMITS.batch) errors.push({ field: 'alerts', message: `must contain at most ${EVENT_LIMITS.batch} alerts (got ${alerts.length})` })
  if (errors.length > 0) return { ok: false, errors }

  const receiver = typeof payload['receiver'] === 'string' ? payload['receiver'] : ''
  const events: ValidEvent[] = []
  alerts.forEach((alert, i) => {
    const event = mapAlert(alert, fieldPath('alerts', i), receiver, errors)
    if (event) events.push(event)
  })
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events }
}

function mapAlert(alert: unknown, at: string, receiver: string, errors: FieldIssue[]): ValidEvent | undefined {
  if (!isPlainObject(alert)) {
    errors.push({ field: at, message: 'must be an object' })
    return undefined
  }
  const before = errors.length
  const status = alert['status']
  if (status !== 'firing' && status !== 'resolved') errors.push({ field: `${at}.status`, message: 'must be one of firing, resolved' })
  if (alert['labels'] === undefined) errors.push({ field: `${at}.labels`, message: 'is required' })
  const labels = validateLabels(alert['labels'], `${at}.labels`, errors)
  const annotations = stringMap(alert['annotations'], `${at}.annotations`, errors)
  for (const key of ['startsAt', 'endsAt', 'generatorURL', 'fingerprint'] as const) {
    const v = alert[key]
    if (v !== undefined && typeof v !== 'string') errors.push({ field: `${at}.${key}`, message: 'must be a string' })
  }
  // endsAt is "0001-01-01T00:00:00Z" while an alert fires; only a resolved alert's endsAt means anything.
  const timeField = status === 'resolved' ? 'endsAt' : 'startsAt'
  const occurredAt = parseTime(alert[timeField], (m) => errors.push({ field: `${at}.${timeField}`, message: m }))
  if (errors.length > before) return undefined

  const fingerprint = typeof alert['fingerprint'] === 'string' && alert['fingerprint'] !== '' ? alert['fingerprint'] : fingerprintOf(labels)
  const title = annotations['summary'] ?? annotations['title'] ?? labels['alertname'] ?? 'Alertmanager alert'
  const lines = [annotations['description'] ?? annotations['message']]
  if (annotations['runbook_url']) lines.push(`Runbook: ${annotations['runbook_url']}`)
  if (typeof alert['generatorURL'] === 'string' && alert['generatorURL'] !== '') lines.push(`Source: ${alert['generatorURL']}`)
  const message = lines.filter((l) => l !== undefined && l !== '').join('\n')
  return {
    severity: mapAlertmanagerSeverity(labels['severity']),
    title: clip(title.trim() || 'Alertmanager alert', EVENT_LIMITS.title),
    message: message === '' ? null : clip(message, EVENT_LIMITS.message),
    source: clip(labels['instance'] ?? labels['job'] ?? (receiver || 'alertmanager'), EVENT_LIMITS.source),
    category: labels['alertname'] ? clip(labels['alertname'], EVENT_LIMITS.category) : null,
    labels,
    dedupKey: clip(`alertmanager:${fingerprint}`, EVENT_LIMITS.dedupKey),
    occurredAt,
    status: status as 'firing' | 'resolved',
  }
}

function stringMap(value: unknown, at: string, errors: FieldIssue[]): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (!isPlainObject(value)) {
    errors.push({ field: at, message: 'must be an object of string values' })
    return {}
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v
    else errors.push({ field: `${at}.${k}`, message: 'must be a string' })
  }
  return out
}

/** Alertmanager's fingerprint is a hash of the label set; when a sender omits it we derive one the same way. */
function fingerprintOf(labels: Readonly<Record<string, string>>): string {
  const canonical = Object.keys(labels).sort().map((k) => `${k}\u0000${labels[k]}`).join('\u0001')
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16)
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`
}
