import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import type { Database } from '../schema.js'

export interface PostgresKyselyOptions {
  readonly connectionString: string
  /** Pool size; the worker and the HTTP routes share it. */
  readonly max?: number
}

/** A pg Pool behind Kysely's PostgresDialect (kysely reaches it through its own subset interface). */
export function createPostgresKysely(opts: PostgresKyselyOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    // Readiness must fail fast when the server is gone, not hang on a dead pool.
    connectionTimeoutMillis: 10_000,
  })
  // An idle client's error (server restart) would otherwise crash the process.
  pool.on('error', () => {})
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}
