/**
 * Routing, pure: who gets a notification and when (issue 4 item 3).
 * - every enabled user subscribed to the severity;
 * - quiet hours (in the user's zone) hold everything but critical: the delivery is created at once but
 *   due only when the quiet period ends, so nothing is lost and nothing wakes anyone;
 * - technicalSupport on ⇒ a critical notification also goes to `supportAddress`, as its own
 *   notification (kind 'support') that names the appliance and never the customer's recipients;
 * - notifications disabled (settings.enabled false) ⇒ the deliveries are recorded as 'suppressed'.
 */
import type { User } from '../outbox/index.js'
import type { Severity } from './severity.js'

/** The settings routing and rendering read (a structural subset of settings' EmailSettings). */
export interface NotifySettings {
  readonly enabled: boolean
  readonly technicalSupport: boolean
  readonly supportAddress: string
  readonly applianceName: string
  readonly consoleUrl: string
  readonly fromAddress: string
  readonly username: string
  readonly templates: { readonly subject: string; readonly text: string; readonly html: string }
}

export interface Recipient {
  /** null for the support copy. */
  readonly userId: string | null
  readonly name: string
  readonly email: string
  /** IANA zone the mail's times are shown in. */
  readonly timeZone: string
  readonly state: 'queued' | 'suppressed'
  /** When the delivery may be sent: now, or the end of the recipient's quiet hours. */
  readonly nextAttemptAt: Date
}

export interface Route {
  readonly users: readonly Recipient[]
  /** The separate support copy, when technicalSupport applies. */
  readonly support: Recipient | null
}

/**
 * Recipients of a notification of `severity` created at `now`.
 * @example
 * const { users, support } = route('critical', await store.listUsers(), settings, new Date())
 */
export function route(severity: Severity, users: readonly User[], settings: NotifySettings, now: Date): Route {
  const state: Recipient['state'] = settings.enabled ? 'queued' : 'suppressed'
  const recipients = users
    .filter((u) => u.enabled && u.severities.includes(severity))
    .map((u): Recipient => {
      const timeZone = userTimeZone(u)
      const held = severity === 'critical' || !u.quietHours ? null : quietUntil(u.quietHours, now)
      return { userId: u.id, name: u.name, email: u.email, timeZone, state, nextAttemptAt: held ?? now }
    })
  const support =
    severity === 'critical' && settings.technicalSupport && settings.supportAddress.trim() !== ''
      ? { userId: null, name: 'Technical Support', email: settings.supportAddress.trim(), timeZone: 'UTC', state, nextAttemptAt: now }
      : null
  return { users: recipients, support }
}

/** The zone a user's times are shown in: the quiet-hours zone when set (and valid), else UTC. */
export function userTimeZone(user: Pick<User, 'quietHours'> & { readonly timeZone?: string | null | undefined }): string {
  const zone = user.timeZone ?? user.quietHours?.timeZone
  return zone && isTimeZone(zone) ? zone : 'UTC'
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** 'HH:MM' → minutes after midnight, or undefined when malformed. */
export function parseClock(clock: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(clock)
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined
}

/**
 * When `at` falls inside the quiet hours (start inclusive, end exclusive, wrapping midnight when
 * end < start, in the hours' own zone), the instant they end; otherwise null. Malformed hours or zone,
 * or start = end, mean no quiet hours: holding alerts on a typo would be worse than sending them.
 */
export function quietUntil(hours: { readonly start: string; readonly end: string; readonly timeZone: string }, at: Date): Date | null {
  const start = parseClock(hours.start)
  const end = parseClock(hours.end)
  if (start === undefined || end === undefined || start === end || !isTimeZone(hours.timeZone)) return null
  const local = localMinutes(at, hours.timeZone)
  const inside = start < end ? local >= start && local < end : local >= start || local < end
  if (!inside) return null
  // Whole minutes until the end on the local clock, minus the seconds already past this minute.
  const minutesLeft = (end - local + 1440) % 1440
  let until = new Date(at.getTime() - (at.getTime() % 60_000) + minutesLeft * 60_000)
  // A DST change in between moves the wall clock: correct once by the difference it shows.
  const drift = ((end - localMinutes(until, hours.timeZone) + 720 + 1440) % 1440) - 720
  if (drift !== 0 && Math.abs(drift) <= 120) until = new Date(until.getTime() + drift * 60_000)
  return until.getTime() > at.getTime() ? until : null
}

const clockFormats = new Map<string, Intl.DateTimeFormat>()

/** Whole minutes after local midnight of `at` in `timeZone`. */
function localMinutes(at: Date, timeZone: string): number {
  let f = clockFormats.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    clockFormats.set(timeZone, f)
  }
  let h = 0
  let m = 0
  for (const p of f.formatToParts(at)) {
    if (p.type === 'hour') h = Number(p.value)
    if (p.type === 'minute') m = Number(p.value)
  }
  return h * 60 + m
}
