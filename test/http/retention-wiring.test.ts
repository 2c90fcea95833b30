/**
 * Retention as `alertmail serve` wires it (createAlertmail, ALERTMAIL_RETENTION_DAYS): a mail
 * delivered today is still listed a day later and gone once the clock is past the retention
 * period, with one info line counting what was deleted. The queries themselves are tested on both
 * dialects in test/store/retention.test.ts, the Pruner's scheduling in src/outbox/retention.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { configFromEnv, createAlertmail, type Alertmail } from '../../src/app.js'
import { FailureLimiter } from '../../src/http/failure-limiter.js'
import { createLogger } from '../../src/http/logging.js'
import { ADMIN_TOKEN } from './harness.js'
import { startRelay, waitFor, type Relay } from './relay.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON under test
type Json = any

const DAY = 86_400_000
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function start(dataDir: string, env: Record<string, string>, offsetMs: number): Promise<{ am: Alertmail; logs: string[]; call: (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => Promise<{ status: number; json: Json }> }> {
  const logs: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'))
      cb()
    },
  })
  const am = await createAlertmail(
    { ...configFromEnv(env), dataDir, port: 0, adminToken: ADMIN_TOKEN, webRoot: join(dataDir, 'no-ui') },
    {
      logger: createLogger('info', stream),
      print: () => {},
      authLimiter: new FailureLimiter({ maxFailures: 1000 }),
      now: () => new Date(Date.now() + offsetMs),
      retentionFirstDelayMs: 0,
    },
  )
  await am.start()
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
    const res = await am.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
    return { status: res.statusCode, json: JSON.parse(res.body || 'null') }
  }
  return { am, logs, call }
}

describe('retention wiring', () => {
  it('ALERTMAIL_RETENTION_DAYS: 30 by default, whole days from 1 to 36500, the variable named when wrong', () => {
    expect(configFromEnv({}).retentionDays).toBe(30)
    expect(configFromEnv({ ALERTMAIL_RETENTION_DAYS: '7' }).retentionDays).toBe(7)
    for (const bad of ['0', '-1', '1.5', 'forever', '36501']) {
      expect(() => configFromEnv({ ALERTMAIL_RETENTION_DAYS: bad }), bad).toThrow(/ALERTMAIL_RETENTION_DAYS/)
    }
  })

  it('a delivered mail outlives a day but not the retention period; the pass is logged with its counts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'alertmail-retention-wiring-'))
    closers.push(async () => rmSync(dataDir, { recursive: true, force: true }))
    const relay: Relay = await startRelay()
    closers.push(() => relay.close())

    // Today: one critical alert, mailed.
    const today = await start(dataDir, { ALERTMAIL_RETENTION_DAYS: '7' }, 0)
    expect((await today.call('PUT', '/api/v1/settings/email', { enabled: true, host: '127.0.0.1', port: relay.port, encryption: 'NONE', startTls: false, fromAddress: 'alerts@example.com', version: 0 })).status).toBe(200)
    expect((await today.call('POST', '/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical'] })).status).toBe(201)
    expect((await today.call('POST', '/api/v1/events', { severity: 'critical', title: 'edge-1 down', source: 'edge-1' })).status).toBe(202)
    await waitFor(async () => (await today.call('GET', '/api/v1/deliveries?status=sent')).json.items.length === 1, 'the mail to be sent')
    await today.am.stop()

    // A day later the first pass finds nothing old enough.
    const tomorrow = await start(dataDir, { ALERTMAIL_RETENTION_DAYS: '7' }, DAY)
    await new Promise((r) => setTimeout(r, 500))
    expect((await tomorrow.call('GET', '/api/v1/deliveries')).json.items).toHaveLength(1)
    expect(tomorrow.logs.join('')).not.toMatch(/retention: deleted/)
    await tomorrow.am.stop()

    // Eight days later it is gone, with one line saying what went.
    const later = await start(dataDir, { ALERTMAIL_RETENTION_DAYS: '7' }, 8 * DAY)
    closers.push(() => later.am.stop())
    await waitFor(async () => (await later.call('GET', '/api/v1/deliveries')).json.items.length === 0, 'the old delivery to be pruned')
    await waitFor(() => later.logs.some((l) => l.includes('retention: deleted')), 'the retention log line')
    const line = JSON.parse(later.logs.find((l) => l.includes('retention: deleted'))!) as Record<string, unknown>
    expect(line).toMatchObject({ level: 30, deliveries: 1, notifications: 1, events: 1, retentionDays: 7 })
    expect(Number(line['attempts'])).toBeGreaterThanOrEqual(1)
    const metrics = await later.am.app.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.body).toMatch(/alertmail_pruned_rows_total\{table="deliveries"\} 1\b/)
    // The audit log is a security record: retention never touches it.
    expect((await later.call('GET', '/api/v1/audit')).json.items.length).toBeGreaterThan(0)
  }, 60_000)
})
