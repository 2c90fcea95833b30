/**
 * Grouping decisions, pure and clock-injected (the clock is the `now` argument). The state they read
 * lives in the database (`PendingGroup`, `GroupState` of ./port.ts), so a restart resumes exactly.
 *
 * A group is one severity plus either a dedupKey (one alert that may repeat and resolve) or a source +
 * category (many different alerts from one place: a storm). Severity is part of the key so that each
 * group has one policy and one set of recipients; an alert that escalates starts a new group.
 *
 * Source/category groups: the first event of a quiet group is mailed after `groupWaitMs` (kind
 * 'alert', covering whatever arrived meanwhile); while the group stays busy, later events wait until
 * `groupIntervalMs` after the last mail and go out together as one digest ("412 more alerts from
 * edge-3 in the last 5 minutes"). A storm therefore costs one mail per group per interval.
 *
 * DedupKey groups: the first occurrence is mailed after `groupWaitMs`; occurrences within
 * `dedupWindowMs` of the last one mailed are counted and re-sent at most every `repeatIntervalMs`
 * (kind 'repeat', with the count); a 'resolved' event is mailed after `groupWaitMs` regardless of the
 * repeat interval and ends the episode; an occurrence after the window starts a new episode.
 */
import type { PendingGroup } from './port.js'
import type { SeverityPolicy } from './policy.js'
import type { Severity } from './severity.js'

export type GroupKind = 'dedup' | 'source'

export type ParsedGroupKey =
  | { readonly kind: 'dedup'; readonly severity: Severity; readonly dedupKey: string }
  | { readonly kind: 'source'; readonly severity: Severity; readonly source: string | null; readonly category: string | null }

/** The grouping key of an event: a JSON array, unambiguous whatever characters the parts hold. */
export function groupKeyOf(event: {
  readonly severity: Severity
  readonly dedupKey: string | null
  readonly source: string | null
  readonly category: string | null
}): string {
  if (event.dedupKey !== null) return JSON.stringify([event.severity, 'd', event.dedupKey])
  return JSON.stringify([event.severity, 's', event.source, event.category])
}

export function parseGroupKey(key: string): ParsedGroupKey {
  const parts = JSON.parse(key) as unknown[]
  const severity = parts[0] as Severity
  if (parts[1] === 'd') return { kind: 'dedup', severity, dedupKey: String(parts[2]) }
  return { kind: 'source', severity, source: (parts[2] as string | null) ?? null, category: (parts[3] as string | null) ?? null }
}

/** What the mail says: first alert, digest of many, reminder of a repeating alert, or all clear. */
export type DecisionKind = 'alert' | 'digest' | 'repeat' | 'resolution'

export type GroupDecision =
  | { readonly due: false; readonly dueAt: Date }
  | {
      readonly due: true
      /** Resolution is provisional: the newest event's status (known after reading them) decides. */
      readonly kind: DecisionKind
      /** This mail opens a new episode (the group's counters restart). */
      readonly newEpisode: boolean
    }

/**
 * Is a group with pending events due for a mail at `now`, and what kind of mail?
 * @example
 * const d = decideGroup(group, policy[group.severity], new Date())
 * if (d.due) … else wakeAt(d.dueAt)
 */
export function decideGroup(group: PendingGroup, policy: SeverityPolicy, now: Date): GroupDecision {
  const { kind } = parseGroupKey(group.groupKey)
  const first = group.firstReceivedAt.getTime()
  const state = group.state
  const lastSent = state?.lastSentAt?.getTime() ?? null
  const waitDue = first + policy.groupWaitMs

  let dueAt: number
  let decision: { kind: DecisionKind; newEpisode: boolean }
  if (kind === 'source') {
    // A group is still busy when the new events arrived within the interval after its last mail.
    const busy = lastSent !== null && first - lastSent <= policy.groupIntervalMs
    if (busy) {
      dueAt = Math.max(lastSent + policy.groupIntervalMs, waitDue)
      decision = { kind: 'digest', newEpisode: false }
    } else {
      dueAt = waitDue
      decision = { kind: 'alert', newEpisode: true }
    }
  } else {
    const lastEvent = state?.lastEventAt?.getTime() ?? null
    const open =
      lastSent !== null && lastEvent !== null && state?.lastStatus !== 'resolved' && first - lastEvent <= policy.dedupWindowMs
    if (!open) {
      dueAt = waitDue
      decision = { kind: group.resolvedCount === group.count ? 'resolution' : 'alert', newEpisode: true }
    } else if (group.resolvedCount > 0) {
      dueAt = waitDue
      decision = { kind: 'resolution', newEpisode: false }
    } else {
      dueAt = Math.max(lastSent + policy.repeatIntervalMs, waitDue)
      decision = { kind: 'repeat', newEpisode: false }
    }
  }
  if (now.getTime() < dueAt) return { due: false, dueAt: new Date(dueAt) }
  return { due: true, ...decision }
}

/**
 * The final kind once the newest event is known: a dedup group whose newest event is resolved sends a
 * resolution; one that fired again after resolving within the same batch is a fresh alert.
 */
export function finalKind(decided: DecisionKind, groupKind: GroupKind, newestStatus: 'firing' | 'resolved'): DecisionKind {
  if (groupKind === 'source') return decided
  if (newestStatus === 'resolved') return 'resolution'
  return decided === 'resolution' ? 'alert' : decided
}

/** The group's state after a mail covering `group` went out at `now` (what `commitGroup` stores). */
export function nextGroupState(
  group: PendingGroup,
  newEpisode: boolean,
  newestStatus: 'firing' | 'resolved',
  now: Date,
): {
  openedAt: Date
  lastSentAt: Date
  lastCount: number
  lastEventAt: Date
  totalCount: number
  lastStatus: 'firing' | 'resolved'
} {
  const prev = group.state
  const fresh = newEpisode || prev === null
  return {
    openedAt: fresh ? now : (prev.openedAt ?? now),
    lastSentAt: now,
    lastCount: group.count,
    lastEventAt: group.lastReceivedAt,
    totalCount: fresh ? group.count : prev.totalCount + group.count,
    lastStatus: newestStatus,
  }
}
