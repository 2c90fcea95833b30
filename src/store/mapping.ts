/**
 * Row ↔ record mapping: the only place where snake_case columns meet the port's camelCase records
 * (STYLE.md §2.3).
 */
import type { Selectable } from 'kysely'
import type {
  ApiToken,
  Attempt,
  AttemptOutcome,
  AuditEntry,
  Delivery,
  DeliveryState,
  DeliverySummary,
  Notification,
  NotificationKind,
  QuietHours,
  Severity,
  TokenRole,
  TranscriptLine,
  User,
} from '../outbox/index.js'
import type {
  ApiTokensTable,
  AuditLogTable,
  DeliveriesTable,
  DeliveryAttemptsTable,
  Millis,
  NotificationsTable,
  UsersTable,
} from './schema.js'

/** int8 → number (pg returns a string; epoch ms fit in 2^53). */
export function ms(value: Millis): number {
  return typeof value === 'number' ? value : Number(value)
}

export function date(value: Millis): Date {
  return new Date(ms(value))
}

export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T
}

/** Lower first: the claim order (critical first). Kept here, not imported, so the store needs only types. */
export const PRIORITY: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 }

export function toAudit(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: String(row.id),
    at: date(row.at),
    actor: row.actor,
    action: row.action,
    fields: parseJson<string[]>(row.fields_json),
  }
}

export function toUser(row: Selectable<UsersTable>): User {
  const quiet = row.quiet_hours_json === null ? undefined : parseJson<QuietHours>(row.quiet_hours_json)
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    enabled: row.enabled === true || row.enabled === 1,
    severities: parseJson<Severity[]>(row.severities_json),
    ...(quiet === undefined ? {} : { quietHours: quiet }),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  }
}

export function toToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role as TokenRole,
    createdAt: date(row.created_at),
    ...(row.revoked_at === null ? {} : { revokedAt: date(row.revoked_at) }),
  }
}

export function toNotification(row: Selectable<NotificationsTable>): Notification {
  return {
    id: row.id,
    kind: row.kind as NotificationKind,
    severity: row.severity as Severity,
    groupKey: row.group_key,
    eventCount: row.event_count,
    createdAt: date(row.created_at),
  }
}

type SummaryRow = Omit<Selectable<DeliveriesTable>, 'text_body' | 'html_body'>

export function toSummary(row: SummaryRow): DeliverySummary {
  return {
    id: row.id,
    notificationId: row.notification_id,
    kind: row.kind as NotificationKind,
    recipient: row.recipient,
    ...(row.user_id === null ? {} : { userId: row.user_id }),
    severity: row.severity as Severity,
    priority: row.priority,
    messageId: row.message_id,
    subject: row.subject,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    nextAttemptAt: date(row.next_attempt_at),
    ...(row.lease_owner === null ? {} : { leaseOwner: row.lease_owner }),
    ...(row.lease_until === null ? {} : { leaseUntil: date(row.lease_until) }),
    ...(row.last_code === null ? {} : { lastCode: row.last_code }),
    ...(row.last_enhanced === null ? {} : { lastEnhanced: row.last_enhanced }),
    ...(row.last_reply === null ? {} : { lastReply: row.last_reply }),
    ...(row.fail_reason === null ? {} : { failReason: row.fail_reason }),
    createdAt: date(row.created_at),
    queuedAt: date(row.queued_at),
    updatedAt: date(row.updated_at),
  }
}

export function toDelivery(row: Selectable<DeliveriesTable>): Delivery {
  return {
    ...toSummary(row),
    text: row.text_body,
    ...(row.html_body === null ? {} : { html: row.html_body }),
  }
}

export function toAttempt(row: Selectable<DeliveryAttemptsTable>): Attempt {
  return {
    id: String(row.id),
    deliveryId: row.delivery_id,
    startedAt: date(row.started_at),
    ms: row.ms,
    outcome: row.outcome as AttemptOutcome,
    ...(row.code === null ? {} : { code: row.code }),
    ...(row.enhanced === null ? {} : { enhanced: row.enhanced }),
    ...(row.reply === null ? {} : { reply: row.reply }),
    transcript: parseJson<TranscriptLine[]>(row.transcript_json),
  }
}

/** Opaque page cursor: base64url of JSON, so callers cannot depend on its shape. */
export function encodeCursor(value: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

export function decodeCursor(cursor: string | undefined): (string | number)[] | undefined {
  if (cursor === undefined || cursor === '') return undefined
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value
  } catch {
    // fall through: a malformed cursor reads as "from the start"
  }
  return undefined
}
