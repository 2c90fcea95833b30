/**
 * A throwaway PostgreSQL database for the service bench on 127.0.0.1:5432 (trust auth, as the
 * test machine runs it): unique name, dropped after. Tries the `postgres` role, then `root`.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

const ADMIN_URLS = [
  process.env['ALERTMAIL_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  'postgres://root@127.0.0.1:5432/postgres',
]

async function admin(): Promise<{ client: pg.Client; base: string }> {
  let last: unknown
  for (const base of ADMIN_URLS) {
    const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 })
    try {
      await client.connect()
      return { client, base }
    } catch (err) {
      last = err
      await client.end().catch(() => undefined)
    }
  }
  throw new Error('PostgreSQL on 127.0.0.1:5432 is not reachable as postgres or root', { cause: last })
}

export interface BenchDatabase {
  readonly url: string
  drop(): Promise<void>
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `alertmail_bench_${String(process.pid)}_${randomBytes(4).toString('hex')}`
  const { client, base } = await admin()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const { client: a } = await admin()
      try {
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await a.end()
      }
    },
  }
}
