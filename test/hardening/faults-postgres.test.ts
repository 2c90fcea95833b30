/**
 * Faults in the service (issue 6 §4), PostgreSQL (the database missing at start is
 * faults-postgres-start.test.ts): the database becoming unreachable while `alertmail serve` runs. Requests then get 503 problem+json (never a 202
 * for an event that was not stored, never a 500), readiness says 503, the process recovers on its
 * own once the database is back, and every event that got a 202 is delivered (nothing accepted is lost).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminClient, createTestDatabase, type TestDatabase } from '../support/pg.js'
import { relaySettings, startRelay, waitFor, type Relay } from '../http/relay.js'
import { api, startServe, titleTracker, type ServeProcess } from '../e2e/support.js'

const TOKEN = 'faults-pg-admin-token-0123456789ab'


describe('faults: PostgreSQL unreachable mid-run', () => {
  let relay: Relay
  let db: TestDatabase
  let admin: pg.Client
  let serve: ServeProcess | undefined
  let dataDir: string
  let blocked = false

  const block = async () => {
    blocked = true
    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`)
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name])
  }
  const unblock = async () => {
    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`)
    blocked = false
  }

  beforeAll(async () => {
    relay = await startRelay()
    db = await createTestDatabase('alertmail_faults')
    admin = (await adminClient()).client
    dataDir = mkdtempSync(join(tmpdir(), 'alertmail-faults-pg-'))
  })
  afterAll(async () => {
    if (serve && serve.child.exitCode === null) {
      serve.child.kill('SIGKILL')
      await serve.exited
    }
    if (blocked) await unblock().catch(() => {})
    await admin.end().catch(() => {})
    await db.drop()
    await relay.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers 503 while the database is gone, recovers on its own, and delivers every accepted event', { timeout: 600_000 }, async () => {
    serve = await startServe({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_DATABASE_URL: db.url, ALERTMAIL_ADMIN_TOKEN: TOKEN, ALERTMAIL_WORKER_LEASE_MS: '5000' })
    const call = api(serve.base, TOKEN)
    expect((await call('POST', '/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical'] })).status).toBe(201)
    const put = await call('PUT', '/api/v1/settings/email', relaySettings(relay.port, { socketTimeoutMs: 30_000, connectionTimeoutMs: 30_000, maxConnections: 2, version: 0 }))
    expect(put.status).toBe(200)

    const accepted = new Set<string>()
    let n = 0
    const post = async () => {
      const title = `dbfault-${String(n++).padStart(4, '0')}`
      const res = await fetch(`${serve!.base}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ severity: 'critical', title, source: 'db-fault', dedupKey: title }),
      })
      const text = await res.text()
      if (res.status === 202) accepted.add(title)
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), json: text ? JSON.parse(text) : undefined }
    }

    for (let i = 0; i < 20; i++) expect((await post()).status).toBe(202)
    expect((await fetch(`${serve.base}/readyz`)).status).toBe(200)

    await block()
    // The pool notices the terminated connections on first use; from then on every request must be 503.
    const during: Awaited<ReturnType<typeof post>>[] = []
    await waitFor(async () => {
      const r = await post()
      during.push(r)
      return r.status === 503
    }, 'a 503 from POST /api/v1/events', 120_000, () => JSON.stringify(during.at(-1)))
    for (let i = 0; i < 10; i++) during.push(await post())
    for (const r of during) expect([202, 503], JSON.stringify(r)).toContain(r.status)
    const refused = during.filter((r) => r.status === 503)
    expect(refused.length).toBeGreaterThanOrEqual(11)
    for (const r of refused) {
      expect(r.contentType).toMatch(/^application\/problem\+json/)
      expect(r.json.code).toBe('ERR_STORE_UNAVAILABLE')
      expect(r.json.status).toBe(503)
      expect(Number(r.retryAfter)).toBeGreaterThan(0)
    }
    const ready = await fetch(`${serve.base}/readyz`)
    expect(ready.status).toBe(503)
    expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    // The process stays up while the database is away.
    expect(serve.child.exitCode).toBeNull()

    await unblock()
    await waitFor(async () => (await fetch(`${serve!.base}/readyz`)).status === 200, 'readyz 200 after the database is back', 120_000)
    await waitFor(async () => (await post()).status === 202, 'events accepted again', 120_000)
    for (let i = 0; i < 20; i++) expect((await post()).status).toBe(202)

    // Every 202 reaches the relay: nothing accepted is lost.
    const { seen, update } = titleTracker(relay, /dbfault-\d{4}/)
    const allSeen = async () => {
      await update()
      return [...accepted].every((t) => seen.has(t))
    }
    await waitFor(allSeen, 'every accepted event at the relay', 300_000, () => `(${seen.size} of ${accepted.size} accepted; missing ${[...accepted].filter((t) => !seen.has(t)).slice(0, 5).join(', ')})`)
    expect(serve.child.exitCode).toBeNull()
    console.info(`faults/pg mid-run: ${n} posted, ${accepted.size} accepted, ${refused.length} refused 503, ${seen.size} delivered, ${[...accepted].filter((t) => !seen.has(t)).length} lost`)
  })
})
