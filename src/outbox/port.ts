/**
 * The Store port. The outbox owns it (STYLE.md §2.2, as kysely owns `Driver`); src/store/ implements
 * it for SQLite and PostgreSQL, and one contract suite (test/store/contract.ts) holds both to it.
 * Nothing here knows SQL.
 */
import type {
  ApiToken,
  ApiTokenInput,
  AttemptInput,
  AuditEntry,
  AuditInput,
  Delivery,
  DeliveryDetail,
  DeliveryInput,
  DeliveryState,
  DeliverySummary,
  Notification,
  NotificationInput,
  Page,
  SaveSettingsResult,
  SettingsInput,
  SettingsRecord,
  Severity,
  User,
  UserInput,
  UserPatch,
  UserResult,
} from './records.js'

export interface ClaimOptions {
  /** Unique per worker (e.g. `${hostname}:${pid}:${uuid}`); only the owner may complete its claims. */
  readonly owner: string
  readonly now: Date
  readonly leaseMs: number
  readonly limit: number
}

/** The end state of one attempt, written with `completeAttempts`. */
export type AttemptNext =
  | { readonly state: 'sent' }
  | { readonly state: 'retrying' | 'unknown'; readonly nextAttemptAt: Date }
  | { readonly state: 'failed'; readonly reason: string }

export interface AttemptCompletion {
  readonly deliveryId: string
  /** Must equal the lease owner, or the write is skipped (the lease was lost to another worker). */
  readonly owner: string
  readonly attempt: AttemptInput
  readonly next: AttemptNext
}

export interface DeliveryQuery {
  readonly status?: DeliveryState | undefined
  readonly severity?: Severity | undefined
  /** createdAt >= since */
  readonly since?: Date | undefined
  readonly notificationId?: string | undefined
  /** Default 50, at most 1,000. */
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
}

export type RetryResult =
  | { readonly ok: true; readonly delivery: DeliverySummary }
  | { readonly ok: false; readonly error: 'not_found' | 'not_failed' }

export interface OutboxMetrics {
  /** Every state present, zero-filled. */
  readonly byState: Readonly<Record<DeliveryState, number>>
  /** queued + retrying + unknown + sending. */
  readonly queueDepth: number
  /** Age of the oldest queued/retrying/unknown/sending delivery (by queuedAt); 0 when the queue is empty. */
  readonly oldestQueuedAgeMs: number
}

/** Work accepted but not finished: what intake's backlog limit counts (ALERTMAIL_MAX_*). */
export interface BacklogCounts {
  /** Events not yet folded into a notification (the grouper has not committed them). */
  readonly pendingEvents: number
  /** Deliveries queued, retrying, unknown or sending: not yet sent, failed or suppressed. */
  readonly queuedDeliveries: number
}

export interface EnqueueResult {
  readonly notification: Notification
  readonly deliveries: readonly DeliverySummary[]
}

/**
 * The notification grouping policy as stored. The outbox does not know its schema (notify owns
 * it): `policy` is the JSON last saved, for the caller to validate.
 */
export interface StoredNotificationPolicy {
  readonly policy: unknown
  /** 1 after the first save. */
  readonly version: number
  readonly updatedAt: Date
}

export type SaveNotificationPolicyResult =
  | { readonly ok: true; readonly record: StoredNotificationPolicy }
  /** `current` is undefined when nothing was saved yet (and expectedVersion was not 0). */
  | { readonly ok: false; readonly conflict: true; readonly current: StoredNotificationPolicy | undefined }

/** Settings, notification policy, audit, users, tokens. */
export interface AdminStore {
  /** undefined until the first save. */
  getSettings(): Promise<SettingsRecord | undefined>
  /**
   * Compare-and-swap: writes only when the stored version equals `expectedVersion` (0 = never saved),
   * then the version becomes expectedVersion + 1. Otherwise `{ ok: false, conflict: true, current }`.
   */
  saveSettings(next: SettingsInput, expectedVersion: number): Promise<SaveSettingsResult>

  /**
   * The grouping policy shared by every process on this database; undefined until the first save.
   */
  getNotificationPolicy(): Promise<StoredNotificationPolicy | undefined>
  /** Compare-and-swap exactly like saveSettings (0 = never saved; then version expectedVersion + 1). */
  saveNotificationPolicy(policy: unknown, expectedVersion: number): Promise<SaveNotificationPolicyResult>

  appendAudit(entry: AuditInput): Promise<AuditEntry>
  /** Newest first. */
  listAudit(opts?: { readonly limit?: number; readonly cursor?: string }): Promise<Page<AuditEntry>>

  /** Sorted by name. */
  listUsers(): Promise<readonly User[]>
  getUser(id: string): Promise<User | undefined>
  /** Case-insensitive. */
  findUserByEmail(email: string): Promise<User | undefined>
  /** 'email_taken' when another user has the same address, ignoring case. */
  createUser(input: UserInput, now: Date): Promise<UserResult>
  updateUser(id: string, patch: UserPatch, now: Date): Promise<UserResult>
  /** false when there was no such user. */
  deleteUser(id: string): Promise<boolean>

  createToken(input: ApiTokenInput, now: Date): Promise<ApiToken>
  /** Including revoked ones, newest first. */
  listTokens(): Promise<readonly ApiToken[]>
  /** false when unknown or already revoked. */
  revokeToken(id: string, now: Date): Promise<boolean>
  /** Only live (not revoked) tokens. */
  findTokenByHash(hash: string): Promise<ApiToken | undefined>
}

/** Notifications, deliveries and attempts. */
export interface OutboxStore {
  /** The notification and all its deliveries in one transaction. */
  enqueue(notification: NotificationInput, deliveries: readonly DeliveryInput[]): Promise<EnqueueResult>
  /**
   * Atomically takes up to `limit` due deliveries — queued/retrying/unknown with nextAttemptAt <= now,
   * and 'sending' ones whose lease expired (a crashed worker) — ordered by priority (critical first)
   * then nextAttemptAt; sets them 'sending' with leaseOwner = owner, leaseUntil = now + leaseMs.
   * PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claimers never get the same row.
   */
  claimDue(opts: ClaimOptions): Promise<readonly Delivery[]>
  /** Extends the lease of rows still owned by `owner`; returns the ids still held. */
  renewLeases(owner: string, ids: readonly string[], until: Date): Promise<readonly string[]>
  /**
   * Records attempts and moves each delivery to its next state, in one transaction; increments
   * `attempts`, clears the lease. Rows no longer leased to `owner` are skipped: returns the ids written.
   */
  completeAttempts(completions: readonly AttemptCompletion[], now: Date): Promise<readonly string[]>
  /**
   * Gives leased rows back without an attempt (graceful stop): state returns to queued (or retrying
   * when attempts > 0), due at `now`. `ids` omitted: every row leased to owner.
   */
  releaseLeases(owner: string, now: Date, ids?: readonly string[]): Promise<number>

  /** Delivery log, newest first (createdAt, then id). */
  listDeliveries(query?: DeliveryQuery): Promise<Page<DeliverySummary>>
  getDelivery(id: string): Promise<DeliveryDetail | undefined>
  /** Manual retry of a failed delivery: queued, due now, attempts 0, queuedAt now; attempt history kept. */
  retryDelivery(id: string, now: Date): Promise<RetryResult>
  getNotification(id: string): Promise<Notification | undefined>

  metrics(now: Date): Promise<OutboxMetrics>
  /**
   * The backlog intake limits. Each count stops at its `upTo` (pass the caps): the answer is exact
   * below it and means "at least" when equal, so a huge backlog costs no more than the cap to count.
   */
  countBacklog(upTo: BacklogCounts): Promise<BacklogCounts>
}

export interface Store extends AdminStore, OutboxStore {
  readonly dialect: 'sqlite' | 'postgres'
  /** Throws when the database is unreachable (readiness). */
  ping(): Promise<void>
  close(): Promise<void>
}
