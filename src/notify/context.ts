/**
 * The variables a template sees (issue 4 item 5), built from a group's events for one recipient. Every
 * key is always present (strings default to ''), so templates run with strictVariables and a typo in
 * a variable name is a validation error, not an empty line in a mail.
 */
import type { DecisionKind } from './grouping.js'
import type { EventStatus, Severity } from './severity.js'

export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  critical: '#b91c1c',
  high: '#c2410c',
  medium: '#b45309',
  low: '#1d4ed8',
  info: '#4b5563',
}

/** What the context needs of an event (a StoredEvent fits; a preview passes a ValidEvent + receivedAt). */
export interface ContextEvent {
  readonly severity: Severity
  readonly title: string
  readonly message: string | null
  readonly source: string | null
  readonly category: string | null
  readonly labels: Readonly<Record<string, string>>
  readonly occurredAt: Date | null
  readonly receivedAt: Date
  readonly status: EventStatus
}

export interface ContextInput {
  readonly kind: DecisionKind
  readonly isSupport: boolean
  readonly severity: Severity
  /** Sample of the events covered, newest first; at least one. */
  readonly events: readonly ContextEvent[]
  /** Most frequent titles with counts. */
  readonly titles: readonly { readonly title: string; readonly count: number }[]
  /** Events covered by this mail. */
  readonly count: number
  /** Events in the episode so far, this mail included. */
  readonly totalCount: number
  /** Digest / repeat period: since the previous mail of the group (ms); null for a first mail. */
  readonly periodMs: number | null
  /** The group's source/category (a source group's key; the newest event's otherwise). */
  readonly source: string | null
  readonly category: string | null
  readonly recipient: { readonly name: string; readonly email: string; readonly timeZone: string }
  readonly applianceName: string
  readonly consoleUrl: string
}

export type TemplateContext = ReturnType<typeof buildContext>

export function buildContext(input: ContextInput) {
  const newest = input.events[0]
  if (newest === undefined) throw new TypeError('buildContext needs at least one event')
  const source = input.source ?? newest.source ?? ''
  const at = newest.occurredAt ?? newest.receivedAt
  const time = formatTime(at, input.recipient.timeZone)
  return {
    kind: input.kind,
    isAlert: input.kind === 'alert',
    isDigest: input.kind === 'digest',
    isRepeat: input.kind === 'repeat',
    isResolution: input.kind === 'resolution',
    isSupport: input.isSupport,
    severity: input.severity,
    severityLabel: input.severity.toUpperCase(),
    color: SEVERITY_COLORS[input.severity],
    summary: summarize(input, newest.title, source),
    title: newest.title,
    message: newest.message ?? '',
    source,
    category: input.category ?? newest.category ?? '',
    status: newest.status,
    count: input.count,
    totalCount: input.totalCount,
    period: input.periodMs === null ? '' : formatDuration(input.periodMs),
    time,
    timeZone: input.recipient.timeZone,
    labels: Object.keys(newest.labels)
      .sort()
      .map((name) => ({ name, value: newest.labels[name] ?? '' })),
    items: input.titles.map((t) => ({ title: t.title, count: t.count })),
    events: input.events.map((e) => ({
      title: e.title,
      severity: e.severity,
      source: e.source ?? '',
      status: e.status,
      // Intl formatting is the dearest part of the context: the newest event's time is known already.
      time: e === newest ? time : formatTime(e.occurredAt ?? e.receivedAt, input.recipient.timeZone),
    })),
    recipient: { name: input.recipient.name, email: input.recipient.email },
    applianceName: input.applianceName,
    consoleUrl: input.consoleUrl,
  }
}

/** The one-line "what happened" used by the default subject and headline. */
function summarize(input: ContextInput, title: string, source: string): string {
  const from = source === '' ? '' : ` from ${source}`
  const at = source === '' ? '' : ` — ${source}`
  const n = input.count
  switch (input.kind) {
    case 'digest':
      return `${n} more ${plural(n, 'alert')}${from}${input.periodMs === null ? '' : ` in the last ${formatDuration(input.periodMs)}`}`
    case 'repeat':
      return `${title}${at} (repeated ${n} ${plural(n, 'time')}${input.periodMs === null ? '' : ` in the last ${formatDuration(input.periodMs)}`})`
    case 'resolution':
      return `Resolved: ${title}${at}`
    case 'alert':
      if (n > 1 && input.titles.length > 1) return `${n} alerts${from}`
      return n > 1 ? `${title}${at} (×${n})` : `${title}${at}`
  }
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`
}

/** 300000 → '5 minutes'; 90000 → '90 seconds'; 5400000 → '90 minutes'; 7200000 → '2 hours'. */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000))
  if (s < 120) return `${s} ${plural(s, 'second')}`
  const m = Math.round(s / 60)
  if (m < 120) return `${m} ${plural(m, 'minute')}`
  const h = Math.round(m / 60)
  if (h < 48) return `${h} ${plural(h, 'hour')}`
  const d = Math.round(h / 24)
  return `${d} ${plural(d, 'day')}`
}

const timeFormats = new Map<string, Intl.DateTimeFormat>()

/** '27 Nov 2026, 21:43:12 CET' in the recipient's zone. */
export function formatTime(at: Date, timeZone: string): string {
  let f = timeFormats.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'long' })
    timeFormats.set(timeZone, f)
  }
  return f.format(at)
}
