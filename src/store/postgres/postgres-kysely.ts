import { createHash } from 'node:crypto'
import pg from 'pg'
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely'
import type { Database } from '../schema.js'

export interface PostgresKyselyOptions {
  readonly connectionString: string
  /** Pool size; the worker and the HTTP routes share it. Default 10. */
  readonly max?: number
}

/** Statements longer than this (multi-row inserts) are not worth a server-side plan per connection. */
const PREPARE_MAX_SQL = 2_000
const DML = /^\s*(select|insert|update|delete|with)\b/i

/** The part of pg's PoolClient we use. */
interface PgClient {
  on(event: 'error', listener: (err: Error) => void): unknown
  removeListener(event: 'error', listener: (err: Error) => void): unknown
  query(config: { name?: string; text: string; values: unknown[] }): Promise<PostgresQueryResult<unknown>>
  release(destroy?: boolean): void
}

/** The part of pg's Pool we use. */
interface PgPool {
  connect(): Promise<PgClient>
  end(): Promise<void>
}

/**
 * Kysely sends every statement unnamed, so PostgreSQL parses and plans it each time. The outbox
 * repeats a handful of statements thousands of times (claim, complete, attempt insert), so short
 * DML statements go out as named prepared statements (pg keeps them per connection), keyed by a hash
 * of their text: a given text always maps to the same name, a different text never does.
 */
class PreparingPool implements PostgresPool {
  readonly #pool: PgPool
  readonly #names = new Map<string, string>()

  constructor(pool: PgPool) {
    this.#pool = pool
  }

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.#pool.connect()
    // pg-pool listens for 'error' only on idle clients; a checked-out client whose connection is cut
    // (server restart, pg_terminate_backend) between two queries of a transaction would emit an
    // unhandled 'error' and crash the process. Keep it, and destroy the client on release.
    let broken = false
    const onError = () => {
      broken = true
    }
    client.on('error', onError)
    const nameOf = (sql: string): string | undefined => {
      if (sql.length > PREPARE_MAX_SQL || !DML.test(sql)) return undefined
      let name = this.#names.get(sql)
      if (name === undefined) {
        name = `am_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`
        this.#names.set(sql, name)
      }
      return name
    }
    const query = (sql: string, parameters: readonly unknown[]) => {
      const name = nameOf(sql)
      return client.query(name === undefined ? { text: sql, values: [...parameters] } : { name, text: sql, values: [...parameters] })
    }
    const release = (destroy?: boolean) => {
      client.removeListener('error', onError)
      client.release(destroy === true || broken)
    }
    return { query, release } as PostgresPoolClient
  }

  end(): Promise<void> {
    return this.#pool.end()
  }
}

/** A pg Pool behind Kysely's PostgresDialect, reached through subset interfaces (kysely's habit). */
export function createPostgresKysely(opts: PostgresKyselyOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    // Readiness must fail fast when the server is gone, not hang on a dead pool.
    connectionTimeoutMillis: 10_000,
  })
  // An idle client's error (server restart) would otherwise crash the process.
  pool.on('error', () => {})
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PreparingPool(pool) }) })
}
