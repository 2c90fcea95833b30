/**
 * Intake's backlog limit (issue 6 §6) through the whole service, wired as `alertmail serve` wires
 * it (createAlertmail, configured by the ALERTMAIL_MAX_* variables) over a real SQLite store: a full
 * backlog refuses whole requests with 503 ERR_QUEUE_FULL and Retry-After, stores nothing of them,
 * leaves the admin routes working, and intake accepts again once the backlog drains.
 */
import { createServer, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { configFromEnv } from '../../src/app.js'
import { relaySettings, startRelay, waitFor, type Relay } from './relay.js'
import { startService, type Json, type Service } from './service.js'

const alertmanagerPayload = (n: number) => ({
  version: '4',
  status: 'firing',
  receiver: 'alertmail',
  groupKey: `{}:{alertname="EdgeDown${n}"}`,
  alerts: [{ status: 'firing', labels: { alertname: `EdgeDown${n}`, severity: 'critical', instance: `edge-${n}` }, annotations: { summary: `edge-${n} down` }, startsAt: '2026-11-27T10:00:00Z' }],
})

function expectQueueFull(r: { status: number; headers: Record<string, unknown>; json: Json }, backlog: string, env: string, limit: number, retryAfter: number): void {
  expect(r.status, JSON.stringify(r.json)).toBe(503)
  expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/)
  expect(r.headers['retry-after']).toBe(String(retryAfter))
  expect(r.json).toMatchObject({ status: 503, code: 'ERR_QUEUE_FULL', backlog, limit, env })
  expect(r.json.count).toBeGreaterThanOrEqual(limit)
  expect(r.json.detail).toContain(`limit of ${limit} (${env})`)
  expect(r.json.detail).toContain(String(r.json.count))
}

/** Log lines (pino JSON) whose message matches. */
const lines = (logs: string[], pattern: RegExp) => logs.filter((l) => pattern.test((JSON.parse(l) as { msg?: string }).msg ?? ''))

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

describe('intake backlog limit', () => {
  it('refuses whole requests while pending events are at ALERTMAIL_MAX_PENDING_EVENTS, stores nothing of them, and accepts again once the notifier folds them', async () => {
    // No background work: nothing folds the events, so they stay pending until the pipeline starts.
    const s = await startService({ ALERTMAIL_MAX_PENDING_EVENTS: '5' }, { background: false })
    closers.push(() => s.close())
    const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ severity: 'critical', title: `${tag} ${i}`, source: `edge-${tag}-${i}` }))

    expect((await s.post('/api/v1/events', batch('a', 3))).status).toBe(202)
    // 3 pending < 5: accepted whole, even though it ends one batch over the limit.
    expect((await s.post('/api/v1/events', batch('b', 3))).status).toBe(202)
    expect(await s.eventRows()).toBe(6)

    const refused = await s.post('/api/v1/events', batch('c', 2))
    expectQueueFull(refused, 'pendingEvents', 'ALERTMAIL_MAX_PENDING_EVENTS', 5, 5)
    expect(refused.json.detail).toMatch(/pending events/)
    const viaAlertmanager = await s.post('/api/v1/integrations/alertmanager', alertmanagerPayload(1))
    expectQueueFull(viaAlertmanager, 'pendingEvents', 'ALERTMAIL_MAX_PENDING_EVENTS', 5, 5)
    expect(await s.eventRows(), 'the refused requests stored nothing').toBe(6)
    // A refused request is refused whole, before validation: no 400 for a bad one either.
    expect((await s.post('/api/v1/events', { severity: 'nope' })).status).toBe(503)

    // The operator's routes keep working.
    expect((await s.get('/api/v1/settings/email')).status).toBe(200)
    expect((await s.put('/api/v1/settings/email', { fromAddress: 'alerts@example.com', version: 0 })).status).toBe(200)
    expect((await s.post('/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical'] })).status).toBe(201)
    expect((await s.get('/api/v1/users')).status).toBe(200)
    expect((await s.get('/api/v1/deliveries')).status).toBe(200)

    const health = await s.get('/api/v1/health')
    expect(health.status).toBe(200)
    expect(health.json).toMatchObject({ status: 'degraded', intake: { accepting: false, refusal: { backlog: 'pendingEvents', limit: 5 }, limits: { pendingEvents: 5, queuedDeliveries: 100_000 } } })
    expect(health.json.reasons.join(' ')).toMatch(/New events are refused \(503\).*ALERTMAIL_MAX_PENDING_EVENTS/)
    const metrics = (await s.get('/metrics')).body
    expect(metrics).toMatch(/alertmail_intake_refused_total\{reason="pending_events"\} 3/)
    expect(metrics).toMatch(/alertmail_intake_refused_total\{reason="queued_deliveries"\} 0/)
    expect(metrics).toMatch(/alertmail_intake_refusing 1/)
    // 6, or more while events committed during a count are counted twice (never fewer).
    expect(Number(/^alertmail_pending_events (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(6)
    expect(metrics).toMatch(/alertmail_intake_limit\{backlog="pending_events"\} 5/)

    // Drain: the notifier folds the critical events at once (notifications are off: suppressed).
    s.am.pipeline.start()
    await waitFor(async () => (await s.am.store.listPendingGroups()).length === 0, 'the notifier to fold the pending events')
    await waitFor(async () => (await s.post('/api/v1/events', batch('d', 1))).status === 202, 'intake to accept again')
    expect((await s.post('/api/v1/integrations/alertmanager', alertmanagerPayload(2))).status).toBe(202)
    expect((await s.get('/api/v1/health')).json.intake.accepting).toBe(true)

    // One warning when refusing began, one info when it ended; no log line per refused request.
    expect(lines(s.logs, /^intake is refusing events/)).toHaveLength(1)
    expect(lines(s.logs, /^intake accepts events again after refusing \d+ requests/)).toHaveLength(1)
    expect(s.logs.filter((l) => /"statusCode":503/.test(l) || /request failed/.test(l))).toEqual([])
  })

  it('refuses while deliveries pile up behind a dead relay (ALERTMAIL_MAX_QUEUED_DELIVERIES); Send Test Mail and settings still work; a working relay drains it and intake accepts again', async () => {
    const s = await startService({ ALERTMAIL_MAX_QUEUED_DELIVERIES: '3' })
    closers.push(() => s.close())
    await s.am.start()
    // A port nobody listens on: every attempt is refused (transient), so deliveries stay retrying.
    const dead = createServer()
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
    const deadPort = (dead.address() as AddressInfo).port
    await new Promise<void>((resolve) => dead.close(() => resolve()))
    const retry = { maxAttempts: 100, minDelayMs: 200, maxDelayMs: 500, factor: 2, jitter: 0, maxAgeMs: 3_600_000 }
    const put = await s.put('/api/v1/settings/email', relaySettings(deadPort, { retry, version: 0 }))
    expect(put.status, put.body).toBe(200)
    expect((await s.post('/api/v1/users', { name: 'On Call', email: 'oncall@example.com', enabled: true, severities: ['critical'] })).status).toBe(201)

    // Critical alerts from three sources: three notifications, one delivery each, all stuck (the
    // third, edge-3, is posted until intake refuses; its repeats are deduplicated into its group).
    for (const edge of ['edge-1', 'edge-2']) {
      expect((await s.post('/api/v1/events', { severity: 'critical', title: `${edge} down`, source: edge })).status).toBe(202)
    }
    await waitFor(async () => (await s.am.store.metrics(new Date())).queueDepth >= 2, 'two deliveries stuck behind the dead relay')
    // The gauge counts again within a second, and edge-3's delivery makes three: until then intake accepts.
    let refused: Awaited<ReturnType<Service['post']>> | undefined
    await waitFor(async () => {
      const r = await s.post('/api/v1/events', { severity: 'critical', title: 'edge-3 down', source: 'edge-3', dedupKey: 'edge-3' })
      if (r.status === 503) refused = r
      return r.status === 503
    }, 'intake to refuse')
    expectQueueFull(refused!, 'queuedDeliveries', 'ALERTMAIL_MAX_QUEUED_DELIVERIES', 3, 30)
    expect(refused!.json.detail).toMatch(/queued deliveries/)
    expect(refused!.json.detail).toMatch(/relay/)
    const before = await s.eventRows()
    expectQueueFull(await s.post('/api/v1/events', [{ severity: 'high', title: 'x' }, { severity: 'low', title: 'y' }]), 'queuedDeliveries', 'ALERTMAIL_MAX_QUEUED_DELIVERIES', 3, 30)
    expectQueueFull(await s.post('/api/v1/integrations/alertmanager', alertmanagerPayload(3)), 'queuedDeliveries', 'ALERTMAIL_MAX_QUEUED_DELIVERIES', 3, 30)
    expect(await s.eventRows(), 'the refused requests stored nothing').toBe(before)
    const health = await s.get('/api/v1/health')
    expect(health.json).toMatchObject({ status: 'degraded', intake: { accepting: false, refusal: { backlog: 'queuedDeliveries', limit: 3 } } })

    // The operator finds a working relay with Send Test Mail and saves it, while intake refuses.
    const relay: Relay = await startRelay()
    closers.push(() => relay.close())
    const form = relaySettings(relay.port, { retry })
    const test = await s.post('/api/v1/settings/email/test', { to: 'noc@example.com', settings: form })
    expect(test.status, test.body).toBe(200)
    expect(test.json.ok).toBe(true)
    expect((await s.get('/api/v1/deliveries')).status).toBe(200)
    const version = (await s.get('/api/v1/settings/email')).json.version
    expect((await s.put('/api/v1/settings/email', { ...form, version })).status).toBe(200)

    await waitFor(() => relay.messages.filter((m) => m.to.includes('oncall@example.com')).length >= 3, 'the stuck deliveries to reach the relay')
    // Every stuck delivery sent, so the two new alerts below cannot fill the limit of 3 again.
    await waitFor(async () => (await s.am.store.metrics(new Date())).queueDepth === 0, 'the delivery backlog to drain')
    await waitFor(async () => (await s.post('/api/v1/events', { severity: 'critical', title: 'edge-4 down', source: 'edge-4' })).status === 202, 'intake to accept again')
    expect((await s.post('/api/v1/integrations/alertmanager', alertmanagerPayload(4))).status).toBe(202)
    expect(lines(s.logs, /^intake is refusing events/)).toHaveLength(1)
    expect(lines(s.logs, /^intake accepts events again/)).toHaveLength(1)
    expect((await s.get('/metrics')).body).toMatch(/alertmail_intake_refused_total\{reason="queued_deliveries"\} [3-9]/)
  })

  it('lets a concurrent burst pass the pending-events limit by at most one batch', async () => {
    const s = await startService({ ALERTMAIL_MAX_PENDING_EVENTS: '10' }, { background: false })
    closers.push(() => s.close())
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, r) => s.post('/api/v1/events', Array.from({ length: 4 }, (_, i) => ({ severity: 'high', title: `burst ${r}-${i}` })))),
    )
    const accepted = burst.filter((r) => r.status === 202).length
    expect(burst.filter((r) => r.status !== 202).every((r) => r.status === 503 && r.json.code === 'ERR_QUEUE_FULL')).toBe(true)
    // 0, 4, 8 are below 10: three batches of four, 12 events (10 + less than one batch).
    expect(accepted).toBe(3)
    expect(await s.eventRows()).toBe(12)
  })

  it('reads the limits from the environment and names the variable when one is not a positive integer', () => {
    expect(configFromEnv({})).toMatchObject({ maxPendingEvents: 1_000_000, maxQueuedDeliveries: 100_000 })
    expect(configFromEnv({ ALERTMAIL_MAX_PENDING_EVENTS: '50', ALERTMAIL_MAX_QUEUED_DELIVERIES: '7' })).toMatchObject({ maxPendingEvents: 50, maxQueuedDeliveries: 7 })
    for (const bad of ['0', '-1', '1.5', 'many']) {
      expect(() => configFromEnv({ ALERTMAIL_MAX_PENDING_EVENTS: bad })).toThrow(/ALERTMAIL_MAX_PENDING_EVENTS must be a positive integer/)
      expect(() => configFromEnv({ ALERTMAIL_MAX_QUEUED_DELIVERIES: bad })).toThrow(/ALERTMAIL_MAX_QUEUED_DELIVERIES must be a positive integer/)
    }
  })
})
