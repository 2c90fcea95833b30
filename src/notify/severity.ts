/**
 * Severities and alert states. The severity list is the outbox's (src/outbox/records.ts), re-exported
 * so there is one definition; the order is most urgent first.
 */
import { SEVERITIES, type Severity } from '../outbox/index.js'

export { SEVERITIES, type Severity }

export const EVENT_STATUSES = ['firing', 'resolved'] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

/** 0 for critical … 4 for info: lower is more urgent. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)
}
