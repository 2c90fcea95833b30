/**
 * The Notifier: intake → route → group → enqueue rendered per-recipient deliveries (DESIGN.md §1).
 *
 * - `accept(events)` stores the events (one transaction) and returns their ids: the HTTP 202 may only
 *   be sent after it resolved. It wakes the grouping loop at once when a policy has no group wait.
 * - `tick(now)` is one pass of the grouper: for every group with pending events it asks
 *   `decideGroup()` whether a mail is due; if so it reads a sample of the events, routes and renders one
 *   message per recipient. The due groups of a pass are then committed together by `commitGroups()`
 *   (one transaction, all or nothing; group by group with `commitGroup()` if that fails). A crash
 *   anywhere before a commit leaves the events pending; the next tick (here or in another process)
 *   redoes it.
 * - `start()` runs `tick` on a timer: at the earliest due time, at least every `pollIntervalMs` (events
 *   accepted by another process sharing the database), and at once after an immediate accept.
 */
import type { User } from '../outbox/index.js'
import type { ValidEvent } from './event.js'
import { decideGroup, groupKeyOf } from './grouping.js'
import { planGroup, type PlannedGroup } from './plan.js'
import { DEFAULT_NOTIFICATION_POLICY, type NotificationPolicy } from './policy.js'
import type { NewEvent, NotifyStore } from './port.js'
import { route, type NotifySettings, type Route } from './routing.js'

export interface NotifierOptions {
  readonly store: NotifyStore
  /** The current E-Mail settings (EmailSettings fits). Read once per tick. */
  readonly getSettings: () => NotifySettings | Promise<NotifySettings>
  /** The grouping policy; default DEFAULT_NOTIFICATION_POLICY. Read once per tick. */
  readonly getPolicy?: () => NotificationPolicy | Promise<NotificationPolicy>
  /** The clock (tests inject one). */
  readonly now?: () => Date
  /** Longest sleep of the loop when nothing is due, for events written by other processes. Default 5 s. */
  readonly pollIntervalMs?: number
  /** Groups examined per tick (the rest follow at once). Default 5000. */
  readonly maxGroupsPerTick?: number
  /** A tick or a group failed; the loop carries on (the events stay pending). */
  readonly onError?: (error: unknown) => void
  /** A pass committed deliveries: wake the delivery worker (critical mail should not wait for its poll). */
  readonly onEnqueued?: (result: TickResult) => void
}

export interface TickResult {
  /** Notifications committed (the support copy counts as one). */
  readonly notifications: number
  readonly deliveries: number
  /** Earliest time a group still pending becomes due; null when nothing waits. */
  readonly nextDueAt: Date | null
}

/** How long an idle group's state is kept: beyond every window of the policy (a day at most). */
const GROUP_RETENTION_MS = 2 * 24 * 3_600_000
const PRUNE_EVERY_MS = 3_600_000
/**
 * Due groups committed per transaction. Bounds the rendered mails held in memory and how long one
 * transaction holds SQLite's write lock; a storm pass of 5,000 groups still takes 50 transactions, not 5,000.
 */
const COMMIT_BATCH = 100

export class Notifier {
  readonly #store: NotifyStore
  readonly #getSettings: NotifierOptions['getSettings']
  readonly #getPolicy: () => NotificationPolicy | Promise<NotificationPolicy>
  readonly #now: () => Date
  readonly #pollIntervalMs: number
  readonly #maxGroups: number
  readonly #onError: (error: unknown) => void
  readonly #onEnqueued: ((result: TickResult) => void) | undefined
  #chain: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #timerAt = Infinity
  /**
   * Groups known to be waiting (for their interval or wait) until a time: an accept for them need not
   * wake the loop. Without it, every request of a storm would start a pass that finds nothing due.
   */
  readonly #busyUntil = new Map<string, number>()
  #started = false
  #pending: Promise<void> | undefined
  #lastPruneAt = 0

  constructor(opts: NotifierOptions) {
    this.#store = opts.store
    this.#getSettings = opts.getSettings
    this.#getPolicy = opts.getPolicy ?? (() => DEFAULT_NOTIFICATION_POLICY)
    this.#now = opts.now ?? (() => new Date())
    this.#pollIntervalMs = opts.pollIntervalMs ?? 5_000
    this.#maxGroups = opts.maxGroupsPerTick ?? 5_000
    this.#onError = opts.onError ?? (() => undefined)
    this.#onEnqueued = opts.onEnqueued
  }

  /**
   * Stores validated events durably and returns their ids (input order).
   * @example
   * const r = validateEvents(body)
   * if (r.ok) reply.code(202).send({ ids: await notifier.accept(r.events) })
   */
  async accept(events: readonly ValidEvent[]): Promise<string[]> {
    if (events.length === 0) return []
    const receivedAt = this.#now()
    const rows = events.map((e) => toNewEvent(e, receivedAt))
    const ids = await this.#store.insertEvents(rows)
    // The events are committed: from here on nothing may fail the caller (a retried request would
    // store them twice), so waking the loop is best effort.
    if (this.#started) this.#wakeFor(rows, receivedAt).catch(this.#onError)
    return ids
  }

  async #wakeFor(rows: readonly NewEvent[], receivedAt: Date): Promise<void> {
    const policy = await this.#getPolicy()
    const at = receivedAt.getTime()
    for (const row of rows) {
      const busy = (this.#busyUntil.get(row.groupKey) ?? 0) > at
      // A resolution is worth a pass even for a busy group: it skips the repeat interval.
      if (!busy || row.status === 'resolved') this.#wakeAt(at + policy[row.severity].groupWaitMs)
    }
  }

  /** One grouping pass at `now` (default: the clock). Passes never overlap. */
  tick(now?: Date): Promise<TickResult> {
    const run = this.#chain.then(() => this.#tick(now ?? this.#now()))
    this.#chain = run.catch(() => undefined)
    return run
  }

  /** Starts the grouping loop (idempotent). */
  start(): void {
    if (this.#started) return
    this.#started = true
    this.#wakeAt(this.#now().getTime())
  }

  /** Stops the loop and waits for a pass in progress. Pending events stay pending for the next start. */
  async stop(): Promise<void> {
    this.#started = false
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Infinity
    await this.#pending
    await this.#chain
  }

  /** Runs a pass at `time` (clock ms) unless one is already scheduled sooner. */
  #wakeAt(time: number): void {
    if (!this.#started || (this.#timer !== undefined && this.#timerAt <= time)) return
    clearTimeout(this.#timer)
    this.#timerAt = time
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#timerAt = Infinity
      this.#pending = this.#loopOnce()
    }, Math.max(0, time - this.#now().getTime()))
    this.#timer.unref()
  }

  async #loopOnce(): Promise<void> {
    let next = this.#now().getTime() + this.#pollIntervalMs
    try {
      const result = await this.tick()
      if (result.nextDueAt) next = Math.min(next, result.nextDueAt.getTime())
    } catch (error) {
      this.#onError(error)
    }
    this.#wakeAt(next)
  }

  async #tick(now: Date): Promise<TickResult> {
    const [settings, policy] = await Promise.all([this.#getSettings(), this.#getPolicy()])
    const groups = await this.#store.listPendingGroups({ limit: this.#maxGroups })
    let users: readonly User[] | undefined
    let notifications = 0
    let deliveries = 0
    let nextDue: number | null = groups.length >= this.#maxGroups ? now.getTime() : null
    for (const [key, until] of this.#busyUntil) if (until <= now.getTime()) this.#busyUntil.delete(key)
    let planned: PlannedGroup[] = []
    const commitPlanned = async (): Promise<void> => {
      for (const p of await this.#commit(planned)) {
        // Events arriving now wait for the interval: no pass is needed for them until then.
        if (p.group.resolvedCount === 0) this.#busyUntil.set(p.group.groupKey, now.getTime() + p.intervalMs)
        notifications += p.commit.notifications.length
        deliveries += p.deliveries
      }
      planned = []
    }
    for (const group of groups) {
      const severityPolicy = policy[group.severity]
      const decision = decideGroup(group, severityPolicy, now)
      if (!decision.due) {
        nextDue = Math.min(nextDue ?? Infinity, decision.dueAt.getTime())
        this.#busyUntil.set(group.groupKey, decision.dueAt.getTime())
        continue
      }
      try {
        users ??= await this.#store.listUsers()
        const routed = route(group.severity, users, settings, now)
        const heldUntil = allHeldUntil(routed, now)
        if (heldUntil !== null) {
          // Everyone it would reach is in quiet hours: keep collecting, so the night ends in one
          // digest instead of one held mail per group interval.
          nextDue = Math.min(nextDue ?? Infinity, heldUntil)
          this.#busyUntil.set(group.groupKey, heldUntil)
          continue
        }
        const plan = await planGroup(this.#store, group, decision, routed, settings, policy, now)
        if (plan !== null) planned.push(plan)
      } catch (error) {
        this.#onError(error)
      }
      if (planned.length >= COMMIT_BATCH) await commitPlanned()
    }
    await commitPlanned()
    if (now.getTime() - this.#lastPruneAt >= PRUNE_EVERY_MS) {
      this.#lastPruneAt = now.getTime()
      await this.#store.deleteIdleGroups(new Date(now.getTime() - GROUP_RETENTION_MS)).catch(this.#onError)
    }
    const result = { notifications, deliveries, nextDueAt: nextDue === null ? null : new Date(nextDue) }
    if (deliveries > 0) this.#onEnqueued?.(result)
    return result
  }

  /**
   * Commits the planned groups, all in one transaction when they can be; returns those committed.
   * When the batch is refused (a group's check failed: another process took it) or fails, each group
   * is committed on its own, so one group cannot hold back the others and each failure is reported.
   */
  async #commit(planned: readonly PlannedGroup[]): Promise<readonly PlannedGroup[]> {
    if (planned.length === 0) return []
    if (planned.length > 1) {
      try {
        if ((await this.#store.commitGroups(planned.map((p) => p.commit))).ok) return planned
      } catch {
        // Not reported here: the retry below reports each group's own error if it persists.
      }
    }
    const committed: PlannedGroup[] = []
    for (const p of planned) {
      try {
        if ((await this.#store.commitGroup(p.commit)).ok) committed.push(p)
      } catch (error) {
        this.#onError(error)
      }
    }
    return committed
  }

}

/** A validated event as the store keeps it. */
export function toNewEvent(e: ValidEvent, receivedAt: Date): NewEvent {
  return { ...e, receivedAt, groupKey: groupKeyOf(e) }
}

/**
 * When every recipient of a route is a user held by quiet hours (and there is no support copy), the
 * earliest time one of them wakes; otherwise null. Suppressed routes are never held: nothing is sent.
 */
function allHeldUntil(routed: Route, now: Date): number | null {
  if (routed.support !== null || routed.users.length === 0) return null
  let earliest = Infinity
  for (const r of routed.users) {
    if (r.state !== 'queued' || r.nextAttemptAt.getTime() <= now.getTime()) return null
    earliest = Math.min(earliest, r.nextAttemptAt.getTime())
  }
  return earliest
}
