import BetterSqlite3 from 'better-sqlite3'
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely'
import type { Database } from '../schema.js'

/**
 * The part of better-sqlite3's Database we use (kysely's subset-interface habit), so the driver
 * stays an easy swap for node:sqlite.
 */
interface SqliteDriverDatabase extends SqliteDatabase {
  pragma(source: string): unknown
  readonly inTransaction: boolean
}

/**
 * SQLite rolls a transaction back by itself on SQLITE_FULL, _IOERR, _BUSY and _NOMEM
 * (sqlite.org/lang_transaction.html); Kysely's ROLLBACK would then fail with "cannot rollback - no
 * transaction is active" and replace the real error. Nothing to roll back: do nothing.
 */
const NOTHING_TO_ROLL_BACK: SqliteStatement = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
}

/**
 * Kysely's SQLite driver prepares every statement anew. The outbox runs the same few statements
 * thousands of times (claim, complete, enqueue), so prepared statements are kept per SQL text,
 * as undici's SqliteCacheStore keeps its statements. Bounded: dynamic queries (IN lists of varying
 * length) must not grow it without limit.
 */
class StatementCache implements SqliteDatabase {
  readonly #db: SqliteDriverDatabase
  readonly #statements = new Map<string, SqliteStatement>()
  readonly #max: number

  constructor(db: SqliteDriverDatabase, max = 200) {
    this.#db = db
    this.#max = max
  }

  prepare(sql: string): SqliteStatement {
    if (/^\s*rollback\s*$/i.test(sql) && !this.#db.inTransaction) return NOTHING_TO_ROLL_BACK
    let stmt = this.#statements.get(sql)
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql)
      if (this.#statements.size >= this.#max) {
        const oldest = this.#statements.keys().next()
        if (oldest.done !== true) this.#statements.delete(oldest.value)
      }
      this.#statements.set(sql, stmt)
    }
    return stmt
  }

  close(): void {
    this.#statements.clear()
    this.#db.close()
  }
}

/** Opens (creating) the database file with WAL, a busy timeout and foreign keys on. */
export function createSqliteKysely(file: string): Kysely<Database> {
  const raw: SqliteDriverDatabase = new BetterSqlite3(file)
  // WAL: readers (the delivery log, metrics) never block the worker's writes.
  raw.pragma('journal_mode = WAL')
  // Several processes may share the file (`alertmail migrate` while serving): wait, don't fail.
  raw.pragma('busy_timeout = 5000')
  raw.pragma('foreign_keys = ON')
  // With WAL, NORMAL is durable against application crashes; only power loss can drop the last commits.
  raw.pragma('synchronous = NORMAL')
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: new StatementCache(raw) }) })
}
