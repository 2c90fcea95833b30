/**
 * Crash safety (issue 4): a `serve` child killed with SIGKILL while it delivers 2,000 notifications,
 * then restarted on the same data dir, delivers every notification; the only duplicates are mails
 * that were in flight at the kill, and each duplicate carries the same Message-ID as its original.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relaySettings, startRelay, waitFor, type Relay } from '../http/relay.js'
import { api, distinctCriticalBatch, messageIdsByTitle, startServe, titleTracker, type ServeProcess } from './support.js'

const TOTAL = 2000
const TOKEN = 'e2e-crash-admin-token-0123456789'
/** The worker's default concurrency: the most sends that can be in flight at the kill. */
const MAX_IN_FLIGHT = 32

describe('crash safety', () => {
  let relay: Relay
  let dataDir: string
  let serve: ServeProcess | undefined
  const env = () => ({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_ADMIN_TOKEN: TOKEN, ALERTMAIL_WORKER_LEASE_MS: '3000' })

  beforeAll(async () => {
    relay = await startRelay({ dataDelayMs: 5 })
    dataDir = mkdtempSync(join(tmpdir(), 'alertmail-crash-'))
  })
  afterAll(async () => {
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL')
    await relay.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('delivers every notification after a SIGKILL mid-delivery, duplicates only from in-flight sends with the same Message-ID', { timeout: 1_200_000 }, async () => {
    serve = await startServe(env())
    let call = api(serve.base, TOKEN)
    expect((await call('POST', '/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical'] })).status).toBe(201)
    const put = await call('PUT', '/api/v1/settings/email', relaySettings(relay.port, { socketTimeoutMs: 30_000, connectionTimeoutMs: 30_000, maxConnections: 4, version: 0 }))
    expect(put.status).toBe(200)
    // 2,000 distinct critical alerts (distinct dedupKeys: one notification each).
    for (let batch = 0; batch < TOTAL / 1000; batch++) {
      expect((await call('POST', '/api/v1/events', distinctCriticalBatch('crash', batch))).status).toBe(202)
    }

    await waitFor(() => relay.messages.length >= 300, '300 mails before the kill', 300_000)
    serve.child.kill('SIGKILL')
    expect(await serve.exited).toBe('SIGKILL')
    const atKill = relay.messages.length
    expect(atKill).toBeLessThan(TOTAL)

    serve = await startServe(env())
    call = api(serve.base, TOKEN)
    const titles = titleTracker(relay, /crash-\d{4}/)
    await waitFor(async () => (await titles.update()).size >= TOTAL, 'every notification at the relay', 900_000, () => `(${titles.seen.size} distinct of ${relay.messages.length} mails)`)
    await waitFor(async () => (await call('GET', '/api/v1/health')).json.queueDepth === 0, 'an empty queue', 120_000)

    const { parsed, byTitle, untitled } = await messageIdsByTitle(relay, /crash-\d{4}/)
    expect(untitled).toEqual([])
    expect(byTitle.size).toBe(TOTAL)
    const duplicates = [...byTitle.values()].filter((ids) => ids.length > 1)
    expect(parsed.length - TOTAL).toBeLessThanOrEqual(MAX_IN_FLIGHT)
    for (const ids of duplicates) expect(new Set(ids).size, `Message-IDs ${ids.join(' ')}`).toBe(1)
    const sent = await call('GET', '/api/v1/deliveries?status=sent&limit=1000')
    expect(sent.json.items.length).toBe(1000)
    expect(sent.json.nextCursor).toBeDefined()
    console.log(`crash test: ${atKill} mails before SIGKILL, ${parsed.length} in total, ${duplicates.length} duplicates (same Message-ID)`)

    serve.child.kill('SIGTERM')
    expect(await serve.exited).toBe(0)
  })
})
