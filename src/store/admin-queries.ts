/**
 * Settings (compare-and-swap), audit log, users and API tokens, written once for both dialects.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type {
  ApiToken,
  ApiTokenInput,
  AuditEntry,
  AuditInput,
  Page,
  SaveSettingsResult,
  SettingsInput,
  SettingsRecord,
  User,
  UserInput,
  UserPatch,
  UserResult,
} from '../outbox/index.js'
import { date, decodeCursor, encodeCursor, parseJson, toAudit, toToken, toUser } from './mapping.js'
import type { Database, SettingsTable } from './schema.js'

type Db = Kysely<Database>

const SETTINGS_ROW = 1

function toSettings(row: SettingsTable): SettingsRecord {
  return {
    settings: parseJson(row.settings_json),
    secrets: parseJson(row.secrets_json),
    version: row.version,
    updatedAt: date(row.updated_at),
  }
}

export async function getSettings(db: Db): Promise<SettingsRecord | undefined> {
  const row = await db.selectFrom('settings').selectAll().where('id', '=', SETTINGS_ROW).executeTakeFirst()
  return row === undefined ? undefined : toSettings(row)
}

export async function saveSettings(db: Db, next: SettingsInput, expected: number, now: Date): Promise<SaveSettingsResult> {
  const values = {
    settings_json: JSON.stringify(next.settings),
    secrets_json: JSON.stringify(next.secrets),
    version: expected + 1,
    updated_at: now.getTime(),
  }
  // One statement each way, so two concurrent saves with the same expected version cannot both win.
  const row =
    expected === 0
      ? await db
          .insertInto('settings')
          .values({ id: SETTINGS_ROW, ...values })
          .onConflict((oc) => oc.column('id').doNothing())
          .returningAll()
          .executeTakeFirst()
      : await db
          .updateTable('settings')
          .set(values)
          .where('id', '=', SETTINGS_ROW)
          .where('version', '=', expected)
          .returningAll()
          .executeTakeFirst()
  if (row !== undefined) return { ok: true, record: toSettings(row) }
  return { ok: false, conflict: true, current: await getSettings(db) }
}

export async function appendAudit(db: Db, entry: AuditInput): Promise<AuditEntry> {
  const row = await db
    .insertInto('audit_log')
    .values({ at: entry.at.getTime(), actor: entry.actor, action: entry.action, fields_json: JSON.stringify(entry.fields) })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toAudit(row)
}

export async function listAudit(db: Db, opts: { limit?: number; cursor?: string } = {}): Promise<Page<AuditEntry>> {
  const limit = clampLimit(opts.limit)
  const before = decodeCursor(opts.cursor)?.[0]
  let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit + 1)
  if (typeof before === 'number') q = q.where('id', '<', before)
  const rows = await q.execute()
  const items = rows.slice(0, limit).map(toAudit)
  const last = items.at(-1)
  return rows.length > limit && last !== undefined ? { items, nextCursor: encodeCursor([Number(last.id)]) } : { items }
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 50
  return Math.min(1000, Math.max(1, Math.trunc(limit)))
}

/** SQLite: SQLITE_CONSTRAINT_UNIQUE; PostgreSQL: SQLSTATE 23505 unique_violation. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}

export async function listUsers(db: Db): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('name').orderBy('id').execute()
  return rows.map(toUser)
}

export async function getUser(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : toUser(row)
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('email_key', '=', email.toLowerCase()).executeTakeFirst()
  return row === undefined ? undefined : toUser(row)
}

export async function createUser(db: Db, input: UserInput, now: Date): Promise<UserResult> {
  try {
    const row = await db
      .insertInto('users')
      .values({
        id: randomUUID(),
        name: input.name,
        email: input.email,
        email_key: input.email.toLowerCase(),
        enabled: input.enabled ? 1 : 0,
        severities_json: JSON.stringify(input.severities),
        quiet_hours_json: input.quietHours === undefined ? null : JSON.stringify(input.quietHours),
        created_at: now.getTime(),
        updated_at: now.getTime(),
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    return { ok: true, user: toUser(row) }
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, error: 'email_taken' }
    throw err
  }
}

export async function updateUser(db: Db, id: string, patch: UserPatch, now: Date): Promise<UserResult> {
  const set: Partial<Database['users']> = { updated_at: now.getTime() }
  if (patch.name !== undefined) set.name = patch.name
  if (patch.email !== undefined) {
    set.email = patch.email
    set.email_key = patch.email.toLowerCase()
  }
  if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0
  if (patch.severities !== undefined) set.severities_json = JSON.stringify(patch.severities)
  if (patch.quietHours !== undefined) set.quiet_hours_json = patch.quietHours === null ? null : JSON.stringify(patch.quietHours)
  try {
    const row = await db.updateTable('users').set(set).where('id', '=', id).returningAll().executeTakeFirst()
    return row === undefined ? { ok: false, error: 'not_found' } : { ok: true, user: toUser(row) }
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, error: 'email_taken' }
    throw err
  }
}

export async function deleteUser(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function createToken(db: Db, input: ApiTokenInput, now: Date): Promise<ApiToken> {
  const row = await db
    .insertInto('api_tokens')
    .values({ id: randomUUID(), name: input.name, role: input.role, hash: input.hash, created_at: now.getTime(), revoked_at: null })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toToken(row)
}

export async function listTokens(db: Db): Promise<ApiToken[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').orderBy('id').execute()
  return rows.map(toToken)
}

export async function revokeToken(db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now.getTime() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function findTokenByHash(db: Db, hash: string): Promise<ApiToken | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row === undefined ? undefined : toToken(row)
}
