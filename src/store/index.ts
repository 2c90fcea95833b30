/**
 * The Store adapters (DESIGN.md §1): SQLite (better-sqlite3, a file in the data dir) by default,
 * PostgreSQL for `postgres://` URLs. Both run the same migrations on open.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import type { Dialect } from './dialect.js'
import { KyselyStore, type AlertmailStore } from './kysely-store.js'
import { runMigrations } from './migrations/index.js'
import type { Database } from './schema.js'

export type { Dialect } from './dialect.js'
export type { AlertmailStore } from './kysely-store.js'

export interface StoreConfig {
  /** `postgres://…` / `postgresql://…` ⇒ PostgreSQL; unset or empty ⇒ SQLite `alertmail.db` in dataDir. */
  readonly databaseUrl?: string | undefined
  readonly dataDir: string
}

export const SQLITE_FILE = 'alertmail.db'

export interface MigrateResult {
  readonly dialect: Dialect
  /** Names of the migrations this run applied (empty when already up to date). */
  readonly applied: readonly string[]
}

/** Only the driver in use is loaded: pg alone adds several MB to a SQLite server's resident memory. */
async function connect(config: StoreConfig): Promise<{ db: Kysely<Database>; dialect: Dialect }> {
  const url = config.databaseUrl ?? ''
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { createPostgresKysely } = await import('./postgres/postgres-kysely.js')
    return { db: createPostgresKysely({ connectionString: url }), dialect: 'postgres' }
  }
  if (url !== '') throw new Error('ERR_CONFIG_DATABASE_URL: only postgres:// URLs are supported (unset for SQLite)')
  // 0700: the database holds sealed secrets, token hashes and recipients' addresses.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const { createSqliteKysely } = await import('./sqlite/sqlite-kysely.js')
  return { db: createSqliteKysely(join(config.dataDir, SQLITE_FILE)), dialect: 'sqlite' }
}

/**
 * Opens the store and brings its schema up to date.
 * @example
 * const store = await openStore({ databaseUrl: process.env.ALERTMAIL_DATABASE_URL, dataDir: './data' })
 */
export async function openStore(config: StoreConfig): Promise<AlertmailStore> {
  const { db, dialect } = await connect(config)
  try {
    await runMigrations(db as Kysely<unknown>, dialect)
  } catch (err) {
    await db.destroy()
    throw new Error(`cannot open the ${dialect} database ${whereIs(config)}: ${rootMessage(err)}`, { cause: err })
  }
  return new KyselyStore(db, dialect)
}

/** `alertmail migrate`: applies pending migrations and closes. */
export async function migrate(config: StoreConfig): Promise<MigrateResult> {
  const { db, dialect } = await connect(config)
  try {
    const result = await runMigrations(db as Kysely<unknown>, dialect)
    return { dialect, applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) }
  } finally {
    await db.destroy()
  }
}

/** host:port/name for PostgreSQL (never the user or password), the file for SQLite. */
function whereIs(config: StoreConfig): string {
  const url = config.databaseUrl ?? ''
  if (url === '') return join(config.dataDir, SQLITE_FILE)
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`
  } catch {
    return '(unparsable URL)'
  }
}

/** The innermost cause's message: "connect ECONNREFUSED …", "database "x" does not exist". */
function rootMessage(err: unknown): string {
  let e = err
  for (let i = 0; i < 10 && e instanceof Error && e.cause !== undefined; i++) e = e.cause
  if (e instanceof AggregateError && e.errors[0] instanceof Error) e = e.errors[0]
  return e instanceof Error ? e.message : String(e)
}
