/**
 * A throwaway database on the real PostgreSQL server (127.0.0.1:5432, trust auth). Tries the
 * `postgres` role first, then `root`. Never skipped: no server means the tests fail.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const PG_ADMIN_URLS = [
  process.env.ALERTMAIL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  'postgres://root@127.0.0.1:5432/postgres',
]

export interface TestDatabase {
  /** postgres://…/<unique name> */
  readonly url: string
  readonly name: string
  /** Drops the database (terminating leftover connections). */
  drop(): Promise<void>
}

/** A connection to the server's maintenance database, as the first role that is let in. */
export async function adminClient(): Promise<{ client: pg.Client; base: string }> {
  let lastError: unknown
  for (const base of PG_ADMIN_URLS) {
    const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 10_000 })
    try {
      await client.connect()
      return { client, base }
    } catch (err) {
      lastError = err
      await client.end().catch(() => {})
    }
  }
  throw new Error('cannot reach PostgreSQL on 127.0.0.1:5432 as postgres or root', { cause: lastError })
}

export async function createTestDatabase(prefix = 'alertmail_test'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(6).toString('hex')}`
  const { client, base } = await adminClient()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    async drop() {
      const { client: admin } = await adminClient()
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await admin.end()
      }
    },
  }
}
