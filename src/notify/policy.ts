/**
 * The grouping policy (issue 4 item 4): per severity, how long to wait before the first mail of a
 * group, how often a busy group may mail again, how often a repeating alert is re-sent, and how long a
 * dedupKey is remembered. Defaults are safe for a storm: critical goes out at once, then at most one
 * digest every 2 minutes per group (30 an hour at worst); the lower severities wait longer and digest
 * less often (high: 30 s, then every 5 minutes).
 */
import { Type, type Static } from '@sinclair/typebox'
import { fieldPath, isPlainObject, type FieldIssue } from './field-issue.js'
import { SEVERITIES, type Severity } from './severity.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
/** Nothing waits longer than a day: a policy that holds alerts for a week is a typo. */
const MAX_MS = 24 * HOUR

export const SeverityPolicy = Type.Object(
  {
    groupWaitMs: Type.Integer({ minimum: 0, maximum: MAX_MS, description: 'Wait after the first event of a new group, to collect a burst into the first mail.' }),
    groupIntervalMs: Type.Integer({ minimum: 1000, maximum: MAX_MS, description: 'At most one mail per group per interval; events in between become a digest.' }),
    repeatIntervalMs: Type.Integer({ minimum: 1000, maximum: MAX_MS, description: 'A repeating alert (same dedupKey) is mailed again at most this often, with its count.' }),
    dedupWindowMs: Type.Integer({ minimum: 0, maximum: MAX_MS, description: 'An event with the dedupKey of one seen within this window is a repeat, not a new alert.' }),
  },
  { additionalProperties: false },
)
export type SeverityPolicy = Static<typeof SeverityPolicy>

export const NotificationPolicy = Type.Object(
  {
    critical: SeverityPolicy,
    high: SeverityPolicy,
    medium: SeverityPolicy,
    low: SeverityPolicy,
    info: SeverityPolicy,
    /** How many distinct titles a digest lists. */
    digestTopItems: Type.Integer({ minimum: 1, maximum: 50 }),
  },
  { additionalProperties: false, title: 'NotificationPolicy' },
)
export type NotificationPolicy = Static<typeof NotificationPolicy>

export const DEFAULT_NOTIFICATION_POLICY: NotificationPolicy = Object.freeze({
  critical: { groupWaitMs: 0, groupIntervalMs: 2 * MINUTE, repeatIntervalMs: 30 * MINUTE, dedupWindowMs: 4 * HOUR },
  high: { groupWaitMs: 30_000, groupIntervalMs: 5 * MINUTE, repeatIntervalMs: 2 * HOUR, dedupWindowMs: 4 * HOUR },
  medium: { groupWaitMs: MINUTE, groupIntervalMs: 10 * MINUTE, repeatIntervalMs: 4 * HOUR, dedupWindowMs: 8 * HOUR },
  low: { groupWaitMs: 5 * MINUTE, groupIntervalMs: 30 * MINUTE, repeatIntervalMs: 12 * HOUR, dedupWindowMs: 24 * HOUR },
  info: { groupWaitMs: 10 * MINUTE, groupIntervalMs: HOUR, repeatIntervalMs: 24 * HOUR, dedupWindowMs: 24 * HOUR },
  digestTopItems: 10,
})

export type ValidatePolicyResult =
  | { readonly ok: true; readonly value: NotificationPolicy }
  | { readonly ok: false; readonly errors: readonly FieldIssue[] }

const LIMITS: Readonly<Record<keyof SeverityPolicy, readonly [number, number]>> = {
  groupWaitMs: [0, MAX_MS],
  groupIntervalMs: [1000, MAX_MS],
  repeatIntervalMs: [1000, MAX_MS],
  dedupWindowMs: [0, MAX_MS],
}

/**
 * Validates a (partial) policy and fills the rest from the defaults: `{ high: { groupWaitMs: 0 } }`
 * is a whole policy with only that changed.
 */
export function validateNotificationPolicy(input: unknown): ValidatePolicyResult {
  if (input === undefined || input === null) return { ok: true, value: DEFAULT_NOTIFICATION_POLICY }
  if (!isPlainObject(input)) return { ok: false, errors: [{ field: '', message: 'must be an object' }] }
  const errors: FieldIssue[] = []
  const known = [...SEVERITIES, 'digestTopItems'] as readonly string[]
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) errors.push({ field: key, message: `is not a known field (allowed: ${known.join(', ')})` })
  }
  const out: Record<string, unknown> = {}
  for (const severity of SEVERITIES) out[severity] = severityPolicy(input[severity], severity, errors)
  const top = input['digestTopItems'] ?? DEFAULT_NOTIFICATION_POLICY.digestTopItems
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > 50) {
    errors.push({ field: 'digestTopItems', message: 'must be an integer from 1 to 50' })
  }
  out['digestTopItems'] = top
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out as NotificationPolicy }
}

function severityPolicy(input: unknown, severity: Severity, errors: FieldIssue[]): SeverityPolicy {
  const defaults = DEFAULT_NOTIFICATION_POLICY[severity]
  if (input === undefined) return defaults
  if (!isPlainObject(input)) {
    errors.push({ field: severity, message: 'must be an object' })
    return defaults
  }
  const out = { ...defaults }
  for (const [key, value] of Object.entries(input)) {
    const limits = LIMITS[key as keyof SeverityPolicy] as readonly [number, number] | undefined
    const field = fieldPath(severity, key)
    if (limits === undefined) {
      errors.push({ field, message: `is not a known field (allowed: ${Object.keys(LIMITS).join(', ')})` })
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value < limits[0] || value > limits[1]) {
      errors.push({ field, message: `must be an integer number of milliseconds from ${limits[0]} to ${limits[1]}` })
    } else {
      out[key as keyof SeverityPolicy] = value
    }
  }
  return out
}
