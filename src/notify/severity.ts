/**
 * The five severities an event can carry, most urgent first (the order is used for sorting and
 * for "critical first" when the send budget is short), and the two states an alert can report.
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
export type Severity = (typeof SEVERITIES)[number]

export const EVENT_STATUSES = ['firing', 'resolved'] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

/** 0 for critical … 4 for info: lower is more urgent. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)
}
