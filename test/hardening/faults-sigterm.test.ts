/**
 * Faults in the service (issue 6 §4): SIGTERM while deliveries are in flight to a slow relay. The
 * process exits 0 within its grace period; after a restart on the same data dir every notification
 * reaches the relay, at most the sends in flight at the signal twice, each duplicate with its
 * original's Message-ID (RFC 5322 §3.6.4: the relay and the reader can tell it is the same mail).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relaySettings, startRelay, waitFor, type Relay } from '../http/relay.js'
import { api, messageIdsByTitle, startServe, titleTracker, type ServeProcess } from '../e2e/support.js'

const TOTAL = 200
const TOKEN = 'faults-sigterm-admin-token-012345'
/** The worker's default concurrency: the most sends that can be in flight at the signal. */
const MAX_IN_FLIGHT = 32
/** The worker's grace (10 s) plus closing HTTP and the store, with room for a loaded machine. */
const GRACE_MS = 60_000

describe('faults: SIGTERM during delivery', () => {
  let relay: Relay
  let dataDir: string
  let serve: ServeProcess | undefined
  const env = () => ({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_ADMIN_TOKEN: TOKEN, ALERTMAIL_WORKER_LEASE_MS: '5000' })

  beforeAll(async () => {
    relay = await startRelay({ dataDelayMs: 500 })
    dataDir = mkdtempSync(join(tmpdir(), 'alertmail-faults-term-'))
  })
  afterAll(async () => {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGKILL')
      await serve.exited
    }
    await relay.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('exits 0 within its grace period and, restarted, delivers every notification with no loss', { timeout: 900_000 }, async () => {
    serve = await startServe(env())
    let call = api(serve.base, TOKEN)
    expect((await call('POST', '/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical'] })).status).toBe(201)
    const put = await call('PUT', '/api/v1/settings/email', relaySettings(relay.port, { socketTimeoutMs: 30_000, connectionTimeoutMs: 30_000, maxConnections: 4, version: 0 }))
    expect(put.status).toBe(200)
    const events = Array.from({ length: TOTAL }, (_, i) => {
      const n = String(i).padStart(3, '0')
      return { severity: 'critical', title: `term-${n}`, source: `edge-${n}`, dedupKey: `term-${n}` }
    })
    expect((await call('POST', '/api/v1/events', events)).status).toBe(202)

    // Deliveries are under way (500 ms each at the relay), far from done: signal now.
    await waitFor(() => relay.messages.length >= 10, '10 mails before SIGTERM', 300_000)
    const signalledAt = Date.now()
    serve.child.kill('SIGTERM')
    const code = await Promise.race([serve.exited, new Promise<string>((r) => setTimeout(() => r('still running'), GRACE_MS))])
    expect(code, serve.stdout().slice(-2000) + serve.stderr()).toBe(0)
    expect(serve.stderr()).not.toMatch(/\n\s+at /)
    const atExit = relay.messages.length
    expect(atExit).toBeLessThan(TOTAL)
    const shutdownMs = Date.now() - signalledAt

    serve = await startServe(env())
    call = api(serve.base, TOKEN)
    const titles = titleTracker(relay, /term-\d{3}/)
    await waitFor(async () => (await titles.update()).size >= TOTAL, 'every notification at the relay', 600_000, () => `(${titles.seen.size} distinct of ${relay.messages.length} mails)`)
    await waitFor(async () => (await call('GET', '/api/v1/health')).json.queueDepth === 0, 'an empty queue', 120_000)

    const { byTitle, untitled } = await messageIdsByTitle(relay, /term-\d{3}/)
    expect(untitled).toEqual([])
    expect(byTitle.size).toBe(TOTAL)
    const duplicates = [...byTitle.values()].filter((ids) => ids.length > 1)
    expect(duplicates.length).toBeLessThanOrEqual(MAX_IN_FLIGHT)
    for (const ids of duplicates) {
      expect(ids.length).toBe(2)
      expect(ids[1]).toBe(ids[0])
    }
    console.info(`faults/sigterm: ${TOTAL} accepted, ${atExit} delivered before exit (shutdown ${shutdownMs} ms), ${relay.messages.length} mails in all, ${duplicates.length} duplicates, ${TOTAL - byTitle.size} lost`)
  })
})
