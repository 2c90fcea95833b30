/**
 * Versioned JSON documents in `app_setting` (migration 0003), compare-and-swap like `settings`,
 * written once for both dialects.
 */
import type { Kysely, Selectable } from 'kysely'
import { date, parseJson } from './mapping.js'
import type { AppSettingTable, Database } from './schema.js'

type Db = Kysely<Database>

export interface AppSettingRecord {
  readonly value: unknown
  readonly version: number
  readonly updatedAt: Date
}

export type SaveAppSettingResult =
  | { readonly ok: true; readonly record: AppSettingRecord }
  | { readonly ok: false; readonly current: AppSettingRecord | undefined }

function toRecord(row: Selectable<AppSettingTable>): AppSettingRecord {
  return { value: parseJson(row.value_json), version: row.version, updatedAt: date(row.updated_at) }
}

export async function getAppSetting(db: Db, key: string): Promise<AppSettingRecord | undefined> {
  const row = await db.selectFrom('app_setting').selectAll().where('key', '=', key).executeTakeFirst()
  return row === undefined ? undefined : toRecord(row)
}

export async function saveAppSetting(db: Db, key: string, value: unknown, expected: number, now: Date): Promise<SaveAppSettingResult> {
  if (!Number.isInteger(expected) || expected < 0) throw new RangeError(`expected version must be a non-negative integer, got ${expected}`)
  const json = JSON.stringify(value)
  if (json === undefined) throw new TypeError(`app setting ${key} must be JSON-serialisable`)
  const values = { value_json: json, version: expected + 1, updated_at: now.getTime() }
  // One statement each way, so two concurrent saves with the same expected version cannot both win.
  const row =
    expected === 0
      ? await db
          .insertInto('app_setting')
          .values({ key, ...values })
          .onConflict((oc) => oc.column('key').doNothing())
          .returningAll()
          .executeTakeFirst()
      : await db
          .updateTable('app_setting')
          .set(values)
          .where('key', '=', key)
          .where('version', '=', expected)
          .returningAll()
          .executeTakeFirst()
  if (row !== undefined) return { ok: true, record: toRecord(row) }
  return { ok: false, current: await getAppSetting(db, key) }
}
