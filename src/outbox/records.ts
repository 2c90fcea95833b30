/**
 * Record types of the Store port (src/outbox/port.ts). camelCase here; the store maps them to its
 * snake_case SQL columns at its edge only (STYLE.md §2.3). Timestamps are `Date`s.
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
export type Severity = (typeof SEVERITIES)[number]

/** Lower sends first when the rate budget is short: critical before everything else. */
export const SEVERITY_PRIORITY: Readonly<Record<Severity, number>> = Object.freeze({
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  info: 4,
})

export const NOTIFICATION_KINDS = ['alert', 'digest', 'resolution', 'support', 'test'] as const
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number]

/**
 * queued → sending → sent | retrying | failed | unknown. `unknown`: the connection died after the
 * final dot of DATA without a reply (RFC 5321 §4.1.1.4): the relay may or may not have the mail, so it
 * is retried with the same Message-ID for the recipient's client to de-duplicate.
 * `suppressed`: never sent because notifications were disabled when it was created.
 */
export const DELIVERY_STATES = ['queued', 'sending', 'sent', 'retrying', 'failed', 'suppressed', 'unknown'] as const
export type DeliveryState = (typeof DELIVERY_STATES)[number]

export const TOKEN_ROLES = ['admin', 'events'] as const
export type TokenRole = (typeof TOKEN_ROLES)[number]

export const ATTEMPT_OUTCOMES = ['sent', 'transient', 'permanent', 'unknown'] as const
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number]

export type JsonObject = { readonly [key: string]: unknown }

// ── settings ────────────────────────────────────────────────────────────────

/** The single E-Mail settings row. `secrets` holds sealed (encrypted) strings only, e.g. { password }. */
export interface SettingsRecord {
  /** The settings JSON without secrets. */
  readonly settings: JsonObject
  /** Sealed secrets keyed by field ('password', 'oauth2.clientSecret'): opaque strings from SecretBox. */
  readonly secrets: Readonly<Record<string, string>>
  /** 1 after the first save; 0 means nothing was ever saved. */
  readonly version: number
  readonly updatedAt: Date
}

export interface SettingsInput {
  readonly settings: JsonObject
  readonly secrets: Readonly<Record<string, string>>
}

export type SaveSettingsResult =
  | { readonly ok: true; readonly record: SettingsRecord }
  /** `current` is undefined when nothing was saved yet (and expectedVersion was not 0). */
  | { readonly ok: false; readonly conflict: true; readonly current: SettingsRecord | undefined }

// ── audit ───────────────────────────────────────────────────────────────────

export interface AuditInput {
  readonly at: Date
  readonly actor: string
  readonly action: string
  /** Field names only; secrets are listed by name ("changed"), never with values. */
  readonly fields: readonly string[]
}

export interface AuditEntry extends AuditInput {
  readonly id: string
}

export interface Page<T> {
  readonly items: readonly T[]
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  readonly nextCursor?: string
}

// ── users ───────────────────────────────────────────────────────────────────

export interface QuietHours {
  /** 'HH:MM', 24-hour, in `timeZone`. */
  readonly start: string
  readonly end: string
  /** IANA zone, e.g. 'Europe/Berlin'. */
  readonly timeZone: string
}

export interface UserInput {
  readonly name: string
  readonly email: string
  readonly enabled: boolean
  readonly severities: readonly Severity[]
  readonly quietHours?: QuietHours | undefined
}

export interface User extends UserInput {
  readonly id: string
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** `quietHours: null` clears them. */
export type UserPatch = Partial<Omit<UserInput, 'quietHours'>> & { readonly quietHours?: QuietHours | null }

export type UserResult =
  | { readonly ok: true; readonly user: User }
  | { readonly ok: false; readonly error: 'email_taken' | 'not_found' }

// ── API tokens ──────────────────────────────────────────────────────────────

export interface ApiTokenInput {
  readonly name: string
  readonly role: TokenRole
  /** Hex SHA-256 of the bearer token; the token itself is never stored. */
  readonly hash: string
}

export interface ApiToken {
  readonly id: string
  readonly name: string
  readonly role: TokenRole
  readonly createdAt: Date
  readonly revokedAt?: Date
}

// ── outbox ──────────────────────────────────────────────────────────────────

export interface NotificationInput {
  readonly kind: NotificationKind
  readonly severity: Severity
  readonly groupKey: string
  readonly eventCount: number
  readonly createdAt: Date
}

export interface Notification extends NotificationInput {
  readonly id: string
}

export interface DeliveryInput {
  readonly recipient: string
  readonly userId?: string | undefined
  /** Chosen at enqueue ('<uuid@host>') and reused on every retry so receivers can de-duplicate. */
  readonly messageId: string
  readonly subject: string
  readonly text: string
  readonly html?: string | undefined
  /** Default 'queued'; 'suppressed' records a mail that notifications-off kept from being sent. */
  readonly state?: 'queued' | 'suppressed'
  /** Default: the notification's severity. */
  readonly severity?: Severity
  /** Default: the notification's createdAt (due at once). */
  readonly nextAttemptAt?: Date
}

export interface DeliverySummary {
  readonly id: string
  readonly notificationId: string
  readonly kind: NotificationKind
  readonly recipient: string
  readonly userId?: string
  readonly severity: Severity
  /** SEVERITY_PRIORITY of `severity`; claims go lowest first. */
  readonly priority: number
  readonly messageId: string
  readonly subject: string
  readonly state: DeliveryState
  readonly attempts: number
  readonly nextAttemptAt: Date
  readonly leaseOwner?: string
  readonly leaseUntil?: Date
  readonly lastCode?: number
  readonly lastEnhanced?: string
  readonly lastReply?: string
  /** Why a delivery failed for good (dead letter), e.g. 'max attempts (8) reached: 451 4.3.0 …'. */
  readonly failReason?: string
  readonly createdAt: Date
  /** Start of the retry window (maxAgeMs); createdAt, or the time of a manual retry. */
  readonly queuedAt: Date
  readonly updatedAt: Date
}

export interface Delivery extends DeliverySummary {
  readonly text: string
  readonly html?: string
}

export interface TranscriptLine {
  readonly at: number
  readonly dir: 'C' | 'S' | '*'
  readonly line: string
}

export interface AttemptInput {
  readonly startedAt: Date
  readonly ms: number
  readonly outcome: AttemptOutcome
  readonly code?: number | undefined
  readonly enhanced?: string | undefined
  readonly reply?: string | undefined
  /** Already redacted by the SMTP client (no AUTH payloads). */
  readonly transcript: readonly TranscriptLine[]
}

export interface Attempt extends AttemptInput {
  readonly id: string
  readonly deliveryId: string
}

export interface DeliveryDetail extends Delivery {
  /** Every attempt, oldest first (`attempts` is their count since enqueue or manual retry). */
  readonly attemptLog: readonly Attempt[]
}
