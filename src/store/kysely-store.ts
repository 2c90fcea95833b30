import { sql, type Kysely } from 'kysely'
import type {
  ApiToken,
  ApiTokenInput,
  AttemptCompletion,
  AuditEntry,
  AuditInput,
  BacklogCounts,
  ClaimOptions,
  Delivery,
  DeliveryDetail,
  DeliveryInput,
  DeliveryQuery,
  DeliverySummary,
  EnqueueResult,
  Notification,
  NotificationInput,
  OutboxMetrics,
  Page,
  PruneCounts,
  RetentionStore,
  RetryResult,
  SaveNotificationPolicyResult,
  SaveSettingsResult,
  SettingsInput,
  SettingsRecord,
  Store,
  StoredNotificationPolicy,
  User,
  UserInput,
  UserPatch,
  UserResult,
} from '../outbox/index.js'
import type {
  GroupCommit,
  GroupCommitResult,
  GroupEvents,
  GroupsCommitResult,
  NewEvent,
  NotifyStore,
  PendingGroup,
} from '../notify/index.js'
import * as admin from './admin-queries.js'
import { getAppSetting, saveAppSetting, type AppSettingRecord } from './app-setting-queries.js'
import { claimDue } from './claim.js'
import type { Dialect } from './dialect.js'
import * as notify from './notify-queries.js'
import * as outbox from './outbox-queries.js'
import * as retention from './retention-queries.js'
import type { Database } from './schema.js'

/** The `app_setting` key of the notification grouping policy. */
const NOTIFICATION_POLICY_KEY = 'notification_policy'

function toPolicy(r: AppSettingRecord): StoredNotificationPolicy {
  return { policy: r.value, version: r.version, updatedAt: r.updatedAt }
}

/**
 * Everything the application stores: the outbox's `Store` and notify's `NotifyStore`. Composed here
 * because outbox/ may not import notify/ (STYLE.md §2.2); the composition root hands it to both.
 */
export interface AlertmailStore extends Store, NotifyStore, RetentionStore {
  listUsers(): Promise<readonly User[]>
}

/**
 * The Store port over Kysely, one class for both dialects: the SQL is shared except for the claim
 * (claim.ts) and the migrations' column types. Queries live in admin-queries.ts / outbox-queries.ts.
 */
export class KyselyStore implements AlertmailStore {
  readonly dialect: Dialect
  readonly #db: Kysely<Database>
  readonly #now: () => Date
  #closed = false

  constructor(db: Kysely<Database>, dialect: Dialect, opts: { now?: () => Date } = {}) {
    this.#db = db
    this.dialect = dialect
    this.#now = opts.now ?? (() => new Date())
  }

  /** For the notify half of the port and tests in this module; never handed to other modules. */
  get db(): Kysely<Database> {
    return this.#db
  }

  getSettings(): Promise<SettingsRecord | undefined> {
    return admin.getSettings(this.#db)
  }
  saveSettings(next: SettingsInput, expectedVersion: number): Promise<SaveSettingsResult> {
    return admin.saveSettings(this.#db, next, expectedVersion, this.#now())
  }
  async getNotificationPolicy(): Promise<StoredNotificationPolicy | undefined> {
    const r = await getAppSetting(this.#db, NOTIFICATION_POLICY_KEY)
    return r === undefined ? undefined : toPolicy(r)
  }
  async saveNotificationPolicy(policy: unknown, expectedVersion: number): Promise<SaveNotificationPolicyResult> {
    const r = await saveAppSetting(this.#db, NOTIFICATION_POLICY_KEY, policy, expectedVersion, this.#now())
    if (r.ok) return { ok: true, record: toPolicy(r.record) }
    return { ok: false, conflict: true, current: r.current === undefined ? undefined : toPolicy(r.current) }
  }
  appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return admin.appendAudit(this.#db, entry)
  }
  listAudit(opts?: { readonly limit?: number; readonly cursor?: string }): Promise<Page<AuditEntry>> {
    return admin.listAudit(this.#db, opts)
  }
  listUsers(): Promise<readonly User[]> {
    return admin.listUsers(this.#db)
  }
  getUser(id: string): Promise<User | undefined> {
    return admin.getUser(this.#db, id)
  }
  findUserByEmail(email: string): Promise<User | undefined> {
    return admin.findUserByEmail(this.#db, email)
  }
  createUser(input: UserInput, now: Date): Promise<UserResult> {
    return admin.createUser(this.#db, input, now)
  }
  updateUser(id: string, patch: UserPatch, now: Date): Promise<UserResult> {
    return admin.updateUser(this.#db, id, patch, now)
  }
  deleteUser(id: string): Promise<boolean> {
    return admin.deleteUser(this.#db, id)
  }
  createToken(input: ApiTokenInput, now: Date): Promise<ApiToken> {
    return admin.createToken(this.#db, input, now)
  }
  listTokens(): Promise<readonly ApiToken[]> {
    return admin.listTokens(this.#db)
  }
  revokeToken(id: string, now: Date): Promise<boolean> {
    return admin.revokeToken(this.#db, id, now)
  }
  findTokenByHash(hash: string): Promise<ApiToken | undefined> {
    return admin.findTokenByHash(this.#db, hash)
  }

  enqueue(notification: NotificationInput, deliveries: readonly DeliveryInput[]): Promise<EnqueueResult> {
    return outbox.enqueue(this.#db, notification, deliveries)
  }
  claimDue(opts: ClaimOptions): Promise<readonly Delivery[]> {
    return claimDue(this.#db, this.dialect, opts)
  }
  renewLeases(owner: string, ids: readonly string[], until: Date): Promise<readonly string[]> {
    return outbox.renewLeases(this.#db, owner, ids, until)
  }
  completeAttempts(completions: readonly AttemptCompletion[], now: Date): Promise<readonly string[]> {
    return outbox.completeAttempts(this.#db, completions, now)
  }
  releaseLeases(owner: string, now: Date, ids?: readonly string[]): Promise<number> {
    return outbox.releaseLeases(this.#db, owner, now, ids)
  }
  listDeliveries(query?: DeliveryQuery): Promise<Page<DeliverySummary>> {
    return outbox.listDeliveries(this.#db, query)
  }
  getDelivery(id: string): Promise<DeliveryDetail | undefined> {
    return outbox.getDelivery(this.#db, id)
  }
  retryDelivery(id: string, now: Date): Promise<RetryResult> {
    return outbox.retryDelivery(this.#db, id, now)
  }
  getNotification(id: string): Promise<Notification | undefined> {
    return outbox.getNotification(this.#db, id)
  }
  metrics(now: Date): Promise<OutboxMetrics> {
    return outbox.metrics(this.#db, now)
  }
  countBacklog(upTo: BacklogCounts): Promise<BacklogCounts> {
    return outbox.countBacklog(this.#db, upTo)
  }

  insertEvents(events: readonly NewEvent[]): Promise<string[]> {
    return notify.insertEvents(this.#db, events)
  }
  listPendingGroups(opts?: { readonly limit?: number }): Promise<PendingGroup[]> {
    return notify.listPendingGroups(this.#db, opts)
  }
  readGroupEvents(groupKey: string, opts: { readonly upToSeq: number; readonly limit: number }): Promise<GroupEvents> {
    return notify.readGroupEvents(this.#db, groupKey, opts)
  }
  commitGroup(commit: GroupCommit): Promise<GroupCommitResult> {
    return notify.commitGroup(this.#db, commit)
  }
  commitGroups(commits: readonly GroupCommit[]): Promise<GroupsCommitResult> {
    return notify.commitGroups(this.#db, commits)
  }
  deleteIdleGroups(before: Date): Promise<number> {
    return notify.deleteIdleGroups(this.#db, before)
  }

  /** Retention (retention-queries.ts), for the Pruner (src/outbox/retention.ts). */
  pruneBefore(cutoff: Date, batch: number, signal?: AbortSignal): Promise<PruneCounts> {
    return retention.pruneBefore(this.#db, this.dialect, cutoff, batch, { signal })
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.#db)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#db.destroy()
  }
}
