/**
 * Retention as `alertmail serve` wires it (createAlertmail, ALERTMAIL_RETENTION_DAYS): a mail
 * delivered today is still listed a day later and gone once the clock is past the retention
 * period, with one info line counting what was deleted. The queries themselves are tested on both
 * dialects in test/store/retention.test.ts, the Pruner's scheduling in src/outbox/retention.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { configFromEnv } from '../../src/app.js'
import { relaySettings, startRelay, waitFor, type Relay } from './relay.js'
import { startService, type Service } from './service.js'

const DAY = 86_400_000
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** The service on `dataDir`, its clock `offsetMs` ahead, retention's first pass at once. */
async function start(dataDir: string, offsetMs: number): Promise<Service> {
  const s = await startService({ ALERTMAIL_RETENTION_DAYS: '7' }, { dataDir, clockOffsetMs: offsetMs, retentionFirstDelayMs: 0 })
  await s.am.start()
  return s
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
    const today = await start(dataDir, 0)
    expect((await today.put('/api/v1/settings/email', relaySettings(relay.port, { version: 0 }))).status).toBe(200)
    expect((await today.post('/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical'] })).status).toBe(201)
    expect((await today.post('/api/v1/events', { severity: 'critical', title: 'edge-1 down', source: 'edge-1' })).status).toBe(202)
    await waitFor(async () => (await today.get('/api/v1/deliveries?status=sent')).json.items.length === 1, 'the mail to be sent')
    await today.close()

    // A day later the first pass finds nothing old enough.
    const tomorrow = await start(dataDir, DAY)
    await new Promise((r) => setTimeout(r, 500))
    expect((await tomorrow.get('/api/v1/deliveries')).json.items).toHaveLength(1)
    expect(tomorrow.logs.join('')).not.toMatch(/retention: deleted/)
    await tomorrow.close()

    // Eight days later it is gone, with one line saying what went.
    const later = await start(dataDir, 8 * DAY)
    closers.push(() => later.close())
    await waitFor(async () => (await later.get('/api/v1/deliveries')).json.items.length === 0, 'the old delivery to be pruned')
    await waitFor(() => later.logs.some((l) => l.includes('retention: deleted')), 'the retention log line')
    const line = JSON.parse(later.logs.find((l) => l.includes('retention: deleted'))!) as Record<string, unknown>
    expect(line).toMatchObject({ level: 30, deliveries: 1, notifications: 1, events: 1, retentionDays: 7 })
    expect(Number(line['attempts'])).toBeGreaterThanOrEqual(1)
    const metrics = await later.get('/metrics')
    expect(metrics.body).toMatch(/alertmail_pruned_rows_total\{table="deliveries"\} 1\b/)
    // The audit log is a security record: retention never touches it.
    expect((await later.get('/api/v1/audit')).json.items.length).toBeGreaterThan(0)
  }, 60_000)
})
