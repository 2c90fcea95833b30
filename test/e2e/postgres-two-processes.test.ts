/**
 * Two `alertmail serve` processes sharing one real PostgreSQL database (issue 4): events posted to
 * both are grouped once and 2,000 notifications are delivered with no duplicate (commitGroup's
 * compare-and-swap and FOR UPDATE SKIP LOCKED claims).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../support/pg.js'
import { relaySettings, startRelay, waitFor, type Relay } from '../http/relay.js'
import { api, distinctCriticalBatch, parseMail, startServe, type ServeProcess } from './support.js'

const TOTAL = 2000
const TOKEN = 'e2e-pg-admin-token-0123456789abc'
const SECRET_KEY = 'a shared passphrase for both processes'

describe('two processes on PostgreSQL', () => {
  let relay: Relay
  let db: TestDatabase
  const dirs: string[] = []
  const procs: ServeProcess[] = []

  beforeAll(async () => {
    relay = await startRelay()
    db = await createTestDatabase('alertmail_e2e')
  })
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
    await Promise.all(procs.map((p) => p.exited))
    await relay.close()
    await db.drop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('delivers 2,000 notifications exactly once between them', { timeout: 1_200_000 }, async () => {
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), `alertmail-pg-${i}-`))
      dirs.push(dataDir)
      procs.push(await startServe({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_DATABASE_URL: db.url, ALERTMAIL_ADMIN_TOKEN: TOKEN, ALERTMAIL_SECRET_KEY: SECRET_KEY }))
    }
    const [a, b] = procs.map((p) => api(p.base, TOKEN)) as [ReturnType<typeof api>, ReturnType<typeof api>]
    expect((await a('POST', '/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical', 'high'] })).status).toBe(201)
    // Written through one process, read by the other: one database.
    expect((await b('GET', '/api/v1/users')).json.items).toHaveLength(1)
    const put = await b('PUT', '/api/v1/settings/email', relaySettings(relay.port, { socketTimeoutMs: 30_000, connectionTimeoutMs: 30_000, maxConnections: 4, version: 0 }))
    expect(put.status).toBe(200)

    for (let batch = 0; batch < TOTAL / 1000; batch++) {
      const call = batch % 2 === 0 ? a : b
      expect((await call('POST', '/api/v1/events', distinctCriticalBatch('pg', batch))).status).toBe(202)
    }

    const tail = (t: string) => t.split('\n').filter((l) => !l.includes('"reqId"')).slice(-15).join('\n')
    await waitFor(() => relay.messages.length >= TOTAL, '2,000 mails at the relay', 900_000, () =>
      `(${relay.messages.length} so far)\n${procs.map((p) => tail(p.stdout()) + tail(p.stderr())).join('\n---\n')}`)
    await waitFor(async () => (await a('GET', '/api/v1/health')).json.queueDepth === 0, 'an empty queue', 120_000)
    // Both processes' grouper loops have run since (their poll is 5 s): anything left would show now.
    const settled = relay.messages.length
    await new Promise((r) => setTimeout(r, 6_000))
    expect(relay.messages.length).toBe(settled)

    const parsed = await Promise.all(relay.messages.map((m) => parseMail(m.raw)))
    const titles = parsed.map((m) => /pg-\d{4}/.exec(m.subject)?.[0])
    expect(new Set(titles).size).toBe(TOTAL)
    expect(parsed.length).toBe(TOTAL)
    expect(new Set(parsed.map((m) => m.messageId)).size).toBe(TOTAL)

    for (const p of procs) p.child.kill('SIGTERM')
    expect(await Promise.all(procs.map((p) => p.exited))).toEqual([0, 0])
  })
})
