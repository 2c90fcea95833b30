/**
 * Faults in the service (issue 6 §4): the disk under the SQLite database fills up. The data dir is a
 * 16 MiB tmpfs (the tests run as root, as CI does); once a filler file takes the rest of it, POST
 * /api/v1/events answers 507 (or 503) problem+json with Retry-After (never a 202 for an event it could not
 * store), the process stays up, and once space is freed it accepts again on its own; every event
 * that got a 202 reaches the relay.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relaySettings, startRelay, waitFor, type Relay } from '../http/relay.js'
import { api, startServe, titleTracker, type ServeProcess } from '../e2e/support.js'

const TOKEN = 'faults-disk-admin-token-0123456789'

/** Writes 64 KiB blocks to `path` until the file system says ENOSPC; returns the bytes written. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'a')
  const block = Buffer.alloc(64 * 1024, 0x78)
  let written = 0
  try {
    for (;;) written += writeSync(fd, block)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
  // The last partial block: fill to the last byte.
  const small = openSync(path, 'a')
  try {
    for (;;) written += writeSync(small, Buffer.alloc(512, 0x78))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(small)
  }
  return written
}

describe('faults: disk full under SQLite', () => {
  let relay: Relay
  let dataDir: string
  let mounted = false
  let serve: ServeProcess | undefined

  beforeAll(async () => {
    relay = await startRelay()
    dataDir = mkdtempSync(join(tmpdir(), 'alertmail-faults-disk-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dataDir])
    mounted = true
  })
  afterAll(async () => {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGKILL')
      await serve.exited
    }
    if (mounted) execFileSync('umount', [dataDir])
    rmdirSync(dataDir)
    await relay.close()
  })

  it('answers 507/503 while the disk is full, stays up, accepts again once space is freed, loses nothing accepted', { timeout: 600_000 }, async () => {
    serve = await startServe({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_ADMIN_TOKEN: TOKEN })
    const call = api(serve.base, TOKEN)
    expect((await call('POST', '/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical'] })).status).toBe(201)
    const put = await call('PUT', '/api/v1/settings/email', relaySettings(relay.port, { socketTimeoutMs: 30_000, connectionTimeoutMs: 30_000, maxConnections: 2, version: 0 }))
    expect(put.status).toBe(200)

    const accepted = new Set<string>()
    const statuses: number[] = []
    let n = 0
    /** A batch of 50 events with 1 KiB messages: enough new pages that a full disk shows at once. */
    const post = async (count = 50) => {
      const titles = Array.from({ length: count }, () => `disk-${String(n++).padStart(5, '0')}`)
      const res = await fetch(`${serve!.base}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(titles.map((title) => ({ severity: 'critical', title, source: 'disk', dedupKey: title, message: 'm'.repeat(1024) }))),
      })
      const text = await res.text()
      if (res.status === 202) for (const t of titles) accepted.add(t)
      else statuses.push(res.status)
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), json: text ? JSON.parse(text) : undefined }
    }
    expect((await post()).status).toBe(202)

    const filler = join(dataDir, 'filler')
    const filled = fillDisk(filler)
    expect(filled).toBeGreaterThan(0)
    // Pages SQLite already holds may take a few batches; every answer is a 202 (stored) or a 507.
    let refused: Awaited<ReturnType<typeof post>> | undefined
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const r = await post()
      if (r.status !== 202) refused = r
    }
    expect(refused, 'the full disk never showed').toBeDefined()
    // 507 when the store reports SQLITE_FULL as such; 503 when the driver's failed ROLLBACK hides it.
    for (const r of [refused!, await post()]) {
      expect([503, 507], JSON.stringify(r)).toContain(r.status)
      expect(r.contentType).toMatch(/^application\/problem\+json/)
      expect(['ERR_STORE_FULL', 'ERR_STORE_UNAVAILABLE']).toContain(r.json.code)
      expect(Number(r.retryAfter)).toBeGreaterThan(0)
    }
    // Still up: liveness answers.
    expect((await fetch(`${serve.base}/healthz`)).status).toBe(200)
    expect(serve.child.exitCode).toBeNull()

    rmSync(filler)
    await waitFor(async () => (await post(1)).status === 202, 'events accepted after space is freed', 120_000)
    for (let i = 0; i < 3; i++) expect((await post(5)).status).toBe(202)
    expect((await fetch(`${serve.base}/readyz`)).status).toBe(200)

    const { seen, update } = titleTracker(relay, /disk-\d{5}/)
    const allSeen = async () => {
      await update()
      return [...accepted].every((t) => seen.has(t))
    }
    await waitFor(allSeen, 'every accepted event at the relay', 300_000, () => `(${seen.size} of ${accepted.size} accepted)`)
    expect(serve.child.exitCode).toBeNull()
    console.info(`faults/disk-full: ${n} posted, ${accepted.size} accepted, refused ${JSON.stringify(statuses)}, ${seen.size} delivered, ${[...accepted].filter((t) => !seen.has(t)).length} lost, filler ${filled} bytes`)
  })
})
