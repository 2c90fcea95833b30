/**
 * The tables as Kysely sees them: snake_case, timestamps as epoch milliseconds (`bigint` columns;
 * pg hands int8 back as a string, so readers go through `ms()` in mapping.ts), JSON as text.
 * Table names carry no version: the migrator (migrations.ts) owns their evolution.
 */
import type { Generated } from 'kysely'

/** int8 arrives as string from pg, as number from better-sqlite3. */
export type Millis = number | string

export interface SettingsTable {
  id: number
  settings_json: string
  secrets_json: string
  version: number
  updated_at: Millis
}

export interface AuditLogTable {
  id: Generated<number | string>
  at: Millis
  actor: string
  action: string
  fields_json: string
}

export interface UsersTable {
  id: string
  name: string
  email: string
  /** lower(email): the unique key (case-insensitive uniqueness). */
  email_key: string
  /** 0/1 on SQLite, boolean on PostgreSQL. */
  enabled: number | boolean
  severities_json: string
  quiet_hours_json: string | null
  created_at: Millis
  updated_at: Millis
}

export interface ApiTokensTable {
  id: string
  name: string
  role: string
  hash: string
  created_at: Millis
  revoked_at: Millis | null
}

export interface NotificationsTable {
  id: string
  kind: string
  severity: string
  group_key: string
  event_count: number
  created_at: Millis
}

export interface DeliveriesTable {
  id: string
  notification_id: string
  kind: string
  recipient: string
  user_id: string | null
  severity: string
  priority: number
  message_id: string
  subject: string
  text_body: string
  html_body: string | null
  state: string
  attempts: number
  next_attempt_at: Millis
  lease_owner: string | null
  lease_until: Millis | null
  last_code: number | null
  last_enhanced: string | null
  last_reply: string | null
  fail_reason: string | null
  created_at: Millis
  queued_at: Millis
  updated_at: Millis
}

export interface DeliveryAttemptsTable {
  id: Generated<number | string>
  delivery_id: string
  started_at: Millis
  ms: number
  outcome: string
  code: number | null
  enhanced: string | null
  reply: string | null
  transcript_json: string
}

export interface EventsTable {
  /** The grouper's `seq`. */
  id: Generated<number | string>
  severity: string
  title: string
  message: string | null
  source: string | null
  category: string | null
  labels_json: string
  dedup_key: string | null
  occurred_at: Millis | null
  status: string
  received_at: Millis
  group_key: string
  processed_at: Millis | null
  notification_id: string | null
}

export interface GroupStatesTable {
  group_key: string
  version: number
  opened_at: Millis | null
  last_sent_at: Millis | null
  last_count: number
  last_event_at: Millis | null
  total_count: number
  last_status: string | null
}

/** Versioned JSON documents by key (migration 0003): e.g. the notification policy. */
export interface AppSettingTable {
  key: string
  value_json: string
  /** 1 after the first save; compare-and-swap like `settings.version`. */
  version: number
  updated_at: Millis
}

export interface Database {
  app_setting: AppSettingTable
  events: EventsTable
  group_states: GroupStatesTable
  settings: SettingsTable
  audit_log: AuditLogTable
  users: UsersTable
  api_tokens: ApiTokensTable
  notifications: NotificationsTable
  deliveries: DeliveriesTable
  delivery_attempts: DeliveryAttemptsTable
}
