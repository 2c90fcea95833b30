/**
 * An in-memory NotifyStore with the same contract as the SQL stores (pending events, watermark,
 * compare-and-swap group state, all-or-nothing commit), for the Notifier tests. It also keeps what was
 * committed so tests can read the notifications and deliveries back.
 */
import type { DeliveryInput, NotificationInput, User } from '../../src/outbox/index.js'
import type {
  GroupCommit,
  GroupCommitResult,
  GroupEvents,
  GroupsCommitResult,
  GroupState,
  NewEvent,
  NotifyStore,
  PendingGroup,
  StoredEvent,
} from '../../src/notify/index.js'

export interface StoredNotification extends NotificationInput {
  readonly id: string
  readonly deliveries: readonly DeliveryInput[]
}

interface Row extends StoredEvent {
  processedAt: Date | null
  notificationId: string | null
}

export class MemoryNotifyStore implements NotifyStore {
  readonly events: Row[] = []
  readonly groups = new Map<string, GroupState>()
  readonly notifications: StoredNotification[] = []
  users: User[] = []
  /** Called inside commitGroup / commitGroups before anything is written: tests use it to simulate a race. */
  beforeCommit: ((commit: GroupCommit) => void) | undefined
  #seq = 0
  #notificationSeq = 0

  async insertEvents(events: readonly NewEvent[]): Promise<string[]> {
    return events.map((e) => {
      const seq = ++this.#seq
      this.events.push({ ...e, id: String(seq), seq, processedAt: null, notificationId: null })
      return String(seq)
    })
  }

  async listPendingGroups(opts?: { readonly limit?: number }): Promise<PendingGroup[]> {
    const byKey = new Map<string, Row[]>()
    for (const e of this.events) {
      if (e.processedAt !== null) continue
      const list = byKey.get(e.groupKey) ?? []
      list.push(e)
      byKey.set(e.groupKey, list)
    }
    return [...byKey.entries()]
      .map(([groupKey, rows]): PendingGroup & { minSeq: number } => ({
        groupKey,
        severity: rows[0]!.severity,
        count: rows.length,
        resolvedCount: rows.filter((r) => r.status === 'resolved').length,
        firstReceivedAt: new Date(Math.min(...rows.map((r) => r.receivedAt.getTime()))),
        lastReceivedAt: new Date(Math.max(...rows.map((r) => r.receivedAt.getTime()))),
        maxSeq: Math.max(...rows.map((r) => r.seq)),
        minSeq: Math.min(...rows.map((r) => r.seq)),
        state: this.groups.get(groupKey) ?? null,
      }))
      .sort((a, b) => a.minSeq - b.minSeq)
      .slice(0, opts?.limit ?? 1000)
      .map(({ minSeq: _minSeq, ...g }) => g)
  }

  async readGroupEvents(groupKey: string, opts: { readonly upToSeq: number; readonly limit: number }): Promise<GroupEvents> {
    const rows = this.#pending(groupKey, opts.upToSeq).sort((a, b) => b.seq - a.seq)
    const counts = new Map<string, { count: number; newest: number }>()
    for (const r of rows) {
      const c = counts.get(r.title) ?? { count: 0, newest: r.seq }
      c.count++
      counts.set(r.title, c)
    }
    const titles = [...counts.entries()]
      .sort((a, b) => b[1].count - a[1].count || b[1].newest - a[1].newest)
      .slice(0, opts.limit)
      .map(([title, c]) => ({ title, count: c.count }))
    return { events: rows.slice(0, opts.limit).map(strip), titles }
  }

  async commitGroup(commit: GroupCommit): Promise<GroupCommitResult> {
    this.beforeCommit?.(commit)
    if (!this.#passes(commit)) return { ok: false }
    return { ok: true, notificationIds: this.#write(commit) }
  }

  /** All or nothing, like the SQL stores' one transaction: every check first, then every write. */
  async commitGroups(commits: readonly GroupCommit[]): Promise<GroupsCommitResult> {
    for (const commit of commits) this.beforeCommit?.(commit)
    if (!commits.every((c) => this.#passes(c))) return { ok: false }
    return { ok: true, notificationIds: commits.map((c) => this.#write(c)) }
  }

  #passes(commit: GroupCommit): boolean {
    const current = this.groups.get(commit.groupKey)
    return (current?.version ?? 0) === commit.expectedVersion && this.#pending(commit.groupKey, commit.upToSeq).length === commit.expectedCount
  }

  #write(commit: GroupCommit): string[] {
    const rows = this.#pending(commit.groupKey, commit.upToSeq)
    const ids = commit.notifications.map(({ notification, deliveries }) => {
      const id = `n${++this.#notificationSeq}`
      this.notifications.push({ ...notification, id, deliveries })
      return id
    })
    for (const r of rows) {
      r.processedAt = commit.processedAt
      r.notificationId = ids[0] ?? null
    }
    this.groups.set(commit.groupKey, { ...commit.state, groupKey: commit.groupKey, version: commit.expectedVersion + 1 })
    return ids
  }

  async listUsers(): Promise<readonly User[]> {
    return this.users
  }

  async deleteIdleGroups(before: Date): Promise<number> {
    let n = 0
    for (const [key, state] of this.groups) {
      const idle = state.lastSentAt !== null && state.lastSentAt < before
      if (idle && !this.events.some((e) => e.groupKey === key && e.processedAt === null)) {
        this.groups.delete(key)
        n++
      }
    }
    return n
  }

  /** Every delivery committed so far, with its notification. */
  deliveries(): (DeliveryInput & { notification: StoredNotification })[] {
    return this.notifications.flatMap((n) => n.deliveries.map((d) => ({ ...d, notification: n })))
  }

  #pending(groupKey: string, upToSeq: number): Row[] {
    return this.events.filter((e) => e.groupKey === groupKey && e.processedAt === null && e.seq <= upToSeq)
  }
}

function strip(r: Row): StoredEvent {
  const { processedAt: _p, notificationId: _n, ...event } = r
  return event
}
