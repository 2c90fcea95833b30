/**
 * `NotifyStore`: the narrow slice of the store the notification pipeline needs (kysely-style subset
 * interface). The store engineer implements it in SQLite and PostgreSQL and `Store extends
 * NotifyStore`; notify/ never sees SQL.
 *
 * Durability model (issue 4, DESIGN.md §4 "nothing is lost"):
 * - intake: `insertEvents()` commits every event of a request in one transaction before the HTTP 202;
 * - grouping state lives in the database: an event is *pending* until a `commitGroup()` marks it
 *   processed, and each group's last-notification state is a row. A crash between a read and a commit
 *   loses nothing: the next tick reads the same pending events again;
 * - `commitGroup()` is the one write of the grouper and is atomic: it checks the group's version
 *   (compare-and-swap, so two processes on one PostgreSQL cannot both notify the same events), marks the
 *   pending events up to `upToSeq`, inserts the notifications with their per-recipient deliveries and
 *   stores the new group state — all or nothing.
 *
 * Record types are the outbox's where they exist (User, NotificationInput, DeliveryInput, Severity);
 * timestamps are `Date`s as in src/outbox/records.ts. Ids are strings (integers inside are fine).
 */
import type { DeliveryInput, NotificationInput, Severity, User } from '../outbox/index.js'
import type { EventStatus } from './severity.js'

/** A validated event as intake stores it. */
export interface NewEvent {
  readonly severity: Severity
  readonly title: string
  readonly message: string | null
  readonly source: string | null
  readonly category: string | null
  readonly labels: Readonly<Record<string, string>>
  readonly dedupKey: string | null
  /** When the producer says it happened; null when not given. */
  readonly occurredAt: Date | null
  readonly status: EventStatus
  /** When we accepted it (the injected clock). */
  readonly receivedAt: Date
  /**
   * The grouping key computed by notify (`groupKeyOf()`): severity + dedupKey, or severity + source +
   * category. Opaque to the store; index `(group_key) WHERE processed_at IS NULL` or equivalent.
   */
  readonly groupKey: string
}

/** A stored event. */
export interface StoredEvent extends NewEvent {
  readonly id: string
  /**
   * Monotonic insertion sequence (an autoincrement integer; may equal `Number(id)`): the grouper's
   * watermark, so events that arrive while a group is being notified stay pending for the next one.
   */
  readonly seq: number
}

/** The grouper's memory of one group, one row per groupKey. */
export interface GroupState {
  readonly groupKey: string
  /** Compare-and-swap counter; 1 after the first commit. (0 is "no row yet" in `GroupCommit`.) */
  readonly version: number
  /** When the current episode's first notification went out; null before any. */
  readonly openedAt: Date | null
  /** When the last notification for this group was committed. */
  readonly lastSentAt: Date | null
  /** How many events the last notification covered. */
  readonly lastCount: number
  /** receivedAt of the newest event covered by the last notification (dedup window anchor). */
  readonly lastEventAt: Date | null
  /** Events notified in the current episode (since `openedAt`). */
  readonly totalCount: number
  /** Status of the newest event notified ('firing' | 'resolved'), null before any. */
  readonly lastStatus: EventStatus | null
}

/** Aggregate over one group's pending (unprocessed) events, with its state when it has one. */
export interface PendingGroup {
  readonly groupKey: string
  /** Severity of the group's events (one severity per groupKey by construction; any row's value). */
  readonly severity: Severity
  /** Pending events with `seq <= maxSeq`. */
  readonly count: number
  /** Of those, how many have status 'resolved'. */
  readonly resolvedCount: number
  readonly firstReceivedAt: Date
  readonly lastReceivedAt: Date
  readonly maxSeq: number
  readonly state: GroupState | null
}

/** A sample of a group's pending events for rendering: never the whole storm. */
export interface GroupEvents {
  /** Pending events with `seq <= upToSeq`, newest first (highest seq first), at most `limit`. */
  readonly events: readonly StoredEvent[]
  /** The same events' titles with their counts, most frequent first (ties: newest first), at most `limit`. */
  readonly titles: readonly { readonly title: string; readonly count: number }[]
}

/**
 * One notification and its rendered per-recipient deliveries, in the outbox's own record types (the
 * same pair `OutboxStore.enqueue()` takes). The support copy is a separate entry of kind 'support'.
 */
export interface GroupNotification {
  readonly notification: NotificationInput
  /** May be empty: nobody subscribed to the severity (the notification is still recorded). */
  readonly deliveries: readonly DeliveryInput[]
}

/** The grouper's atomic write (see the module comment). */
export interface GroupCommit {
  readonly groupKey: string
  /**
   * The version of the state read with the group, 0 when `PendingGroup.state` was null. The store
   * inserts (version 0) or updates `WHERE version = expectedVersion`, writing version + 1; when no
   * row matches (or the insert conflicts) it rolls back and answers `{ ok: false }`.
   */
  readonly expectedVersion: number
  /** Mark pending events of the group with `seq <= upToSeq` as processed. */
  readonly upToSeq: number
  /**
   * How many rows that must mark; any other number ⇒ roll back, `{ ok: false }` (another grouper took
   * them, or on PostgreSQL an event with a lower id committed late: the next tick simply retries).
   */
  readonly expectedCount: number
  /** processed_at for the events. */
  readonly processedAt: Date
  /** The new state; the store writes `version = expectedVersion + 1` (groupKey is the commit's). */
  readonly state: Omit<GroupState, 'groupKey' | 'version'>
  /** Inserted in order, each with its deliveries; the events point at the first one. */
  readonly notifications: readonly GroupNotification[]
}

export type GroupCommitResult =
  | { readonly ok: true; readonly notificationIds: readonly string[] }
  | { readonly ok: false }

/** `commitGroups()`: every commit written (ids per commit, input order), or none. */
export type GroupsCommitResult =
  | { readonly ok: true; readonly notificationIds: readonly (readonly string[])[] }
  | { readonly ok: false }

export interface NotifyStore {
  /** All events in one transaction, committed on return; ids in input order. */
  insertEvents(events: readonly NewEvent[]): Promise<string[]>
  /**
   * Groups that have pending events, with their state (LEFT JOIN), oldest first pending first
   * (by min seq), at most `limit` (default 1000).
   */
  listPendingGroups(opts?: { readonly limit?: number }): Promise<PendingGroup[]>
  /** A rendering sample of one group's pending events up to `upToSeq`. */
  readGroupEvents(groupKey: string, opts: { readonly upToSeq: number; readonly limit: number }): Promise<GroupEvents>
  /** The grouper's atomic write (see `GroupCommit`). */
  commitGroup(commit: GroupCommit): Promise<GroupCommitResult>
  /**
   * Several groups' commits (the groups one pass found due) in one transaction: all or nothing. Each
   * commit is checked exactly as `commitGroup()` checks it; if any check fails, nothing is written and
   * the answer is `{ ok: false }` (the Notifier then commits the groups one by one). One transaction
   * per pass instead of per group: one WAL append on SQLite, one COMMIT round trip on PostgreSQL.
   */
  commitGroups(commits: readonly GroupCommit[]): Promise<GroupsCommitResult>
  /** Every registered user (enabled or not); routing filters. Same as `AdminStore.listUsers()`. */
  listUsers(): Promise<readonly User[]>
  /**
   * Housekeeping: delete group states whose `lastSentAt` is before `before` and that have no pending
   * events; returns how many. Their next event starts a new episode, which is what the age means.
   */
  deleteIdleGroups(before: Date): Promise<number>
}
