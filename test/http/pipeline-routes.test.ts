import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './harness.js'

describe('events, delivery log, policy, preview, metrics and mail health', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h.close()
  })

  it('stores one event before answering 202 { ids }', async () => {
    const r = await h.request('POST', '/api/v1/events', { severity: 'critical', title: 'SYN flood on edge-3', source: 'edge-3', category: 'ddos' })
    expect(r.status, r.body).toBe(202)
    expect(r.json.ids).toHaveLength(1)
    const pending = await h.am.store.listPendingGroups()
    expect(pending.some((g) => g.severity === 'critical' && g.count === 1)).toBe(true)
  })

  it('accepts an array and answers the ids in order', async () => {
    const events = Array.from({ length: 3 }, (_, i) => ({ severity: 'low', title: `probe ${i}`, source: 'edge-1' }))
    const r = await h.request('POST', '/api/v1/events', events)
    expect(r.status).toBe(202)
    expect(r.json.ids).toHaveLength(3)
    expect(new Set(r.json.ids).size).toBe(3)
  })

  it('names the field of a bad event in an array, and refuses more than 1,000', async () => {
    const bad = await h.request('POST', '/api/v1/events', [{ severity: 'low', title: 'ok' }, { severity: 'urgent', title: 'x' }])
    expect(bad.status).toBe(400)
    expect(bad.json.errors).toEqual([expect.objectContaining({ field: '[1].severity' })])
    const many = await h.request('POST', '/api/v1/events', Array.from({ length: 1001 }, () => ({ severity: 'info', title: 't' })))
    expect(many.status).toBe(400)
    const unknown = await h.request('POST', '/api/v1/events', { severity: 'info', title: 't', colour: 'red' })
    expect(unknown.json.errors.map((e: { field: string }) => e.field)).toContain('colour')
  })

  it('maps an Alertmanager payload to events and names bad fields', async () => {
    const ok = await h.request('POST', '/api/v1/integrations/alertmanager', {
      version: '4',
      status: 'firing',
      receiver: 'alertmail',
      alerts: [
        { status: 'firing', labels: { alertname: 'EdgeDown', severity: 'critical', instance: 'edge-3' }, annotations: { summary: 'edge-3 down' }, startsAt: '2026-11-27T10:00:00Z' },
        { status: 'resolved', labels: { alertname: 'HighLoad', severity: 'warning' }, annotations: {}, startsAt: '2026-11-27T09:00:00Z', endsAt: '2026-11-27T10:00:00Z' },
      ],
    })
    expect(ok.status, ok.body).toBe(202)
    expect(ok.json.ids).toHaveLength(2)
    const bad = await h.request('POST', '/api/v1/integrations/alertmanager', { version: '3', alerts: [] })
    expect(bad.status).toBe(400)
    expect(bad.json.errors.map((e: { field: string }) => e.field)).toContain('version')
  })

  it('counts received events in /metrics and exposes the queue gauges', async () => {
    const r = await h.request('GET', '/metrics', undefined, null)
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/text\/plain/)
    expect(r.body).toMatch(/alertmail_events_received_total\{severity="low",via="api"\} 3/)
    expect(r.body).toMatch(/alertmail_events_received_total\{severity="critical",via="alertmanager"\} 1/)
    for (const name of ['alertmail_queue_depth', 'alertmail_queue_oldest_age_seconds', 'alertmail_deliveries{state="queued"}', '# TYPE alertmail_send_duration_seconds histogram', '# TYPE alertmail_smtp_errors_total counter']) {
      expect(r.body).toContain(name)
    }
  })

  it('lists, filters, shows and retries deliveries', async () => {
    const store = h.am.store
    const now = new Date()
    const { deliveries } = await store.enqueue(
      { kind: 'alert', severity: 'high', groupKey: 'test-group', eventCount: 1, createdAt: now },
      [
        { recipient: 'a@example.com', messageId: '<a@test>', subject: 'A', text: 'a' },
        { recipient: 'b@example.com', messageId: '<b@test>', subject: 'B', text: 'b' },
      ],
    )
    const [a, b] = deliveries
    // Fail one permanently, as the worker would after a 550.
    const claimed = await store.claimDue({ owner: 'test', now, leaseMs: 60_000, limit: 10 })
    expect(claimed.map((d) => d.id)).toContain(a!.id)
    await store.completeAttempts(
      claimed.map((d) => ({
        deliveryId: d.id,
        owner: 'test',
        attempt: { startedAt: now, ms: 5, outcome: d.id === a!.id ? 'permanent' : 'sent', code: d.id === a!.id ? 550 : 250, transcript: [{ at: 0, dir: 'S', line: '550 5.1.1 no such user' }] },
        next: d.id === a!.id ? { state: 'failed', reason: '550 5.1.1 no such user' } : { state: 'sent' },
      })),
      now,
    )

    const list = await h.request('GET', '/api/v1/deliveries')
    expect(list.status).toBe(200)
    expect(list.json.items.length).toBeGreaterThanOrEqual(2)
    const failed = await h.request('GET', '/api/v1/deliveries?status=failed&severity=high')
    expect(failed.json.items.map((d: { id: string }) => d.id)).toEqual([a!.id])
    const future = await h.request('GET', `/api/v1/deliveries?since=${encodeURIComponent(new Date(now.getTime() + 3_600_000).toISOString())}`)
    expect(future.json.items).toEqual([])

    const detail = await h.request('GET', `/api/v1/deliveries/${a!.id}`)
    expect(detail.json).toMatchObject({ id: a!.id, state: 'failed', recipient: 'a@example.com' })
    expect(detail.json.attemptLog[0].transcript[0].line).toContain('550')

    const notFailed = await h.request('POST', `/api/v1/deliveries/${b!.id}/retry`)
    expect(notFailed.status).toBe(409)
    const retried = await h.request('POST', `/api/v1/deliveries/${a!.id}/retry`)
    expect(retried.status, retried.body).toBe(200)
    expect(retried.json.state).toBe('queued')
    expect((await h.request('GET', '/api/v1/deliveries/nope')).status).toBe(404)
  })

  it('names bad delivery-log filters', async () => {
    const status = await h.request('GET', '/api/v1/deliveries?status=lost')
    expect(status.status).toBe(400)
    expect(status.json.errors[0].field).toBe('status')
    const since = await h.request('GET', '/api/v1/deliveries?since=yesterday')
    expect(since.status).toBe(400)
    expect(since.json.errors[0].field).toBe('since')
  })

  it('reads and changes the grouping policy, with defaults for omitted members and field-named errors', async () => {
    const before = await h.request('GET', '/api/v1/settings/notifications')
    expect(before.json.policy.critical.groupWaitMs).toBe(0)
    const put = await h.request('PUT', '/api/v1/settings/notifications', { high: { groupWaitMs: 0 } })
    expect(put.status, put.body).toBe(200)
    expect(put.json.policy.high.groupWaitMs).toBe(0)
    expect(put.json.policy.low).toEqual(before.json.policy.low)
    expect((await h.request('GET', '/api/v1/settings/notifications')).json.policy.high.groupWaitMs).toBe(0)
    const bad = await h.request('PUT', '/api/v1/settings/notifications', { high: { groupWaitMs: -5 } })
    expect(bad.status).toBe(400)
    expect(bad.json.errors[0].field).toBe('high.groupWaitMs')
    const audit = await h.request('GET', '/api/v1/audit')
    expect(audit.json.items.find((e: { action: string }) => e.action === 'settings.notifications.update').fields).toEqual(['high.groupWaitMs'])
  })

  it('previews templates and names a broken one', async () => {
    const ok = await h.request('POST', '/api/v1/templates/preview', { kind: 'digest' })
    expect(ok.status, ok.body).toBe(200)
    expect(ok.json.subject.length).toBeGreaterThan(0)
    expect(ok.json.html).toContain('<')
    const custom = await h.request('POST', '/api/v1/templates/preview', { templates: { subject: 'ALERT {{ nosuchvariable.deep }}' } })
    expect(custom.status).toBe(400)
    expect(custom.json.errors[0].field).toMatch(/^templates/)
  })

  it('reports mail health for the banner', async () => {
    const r = await h.request('GET', '/api/v1/health')
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ status: 'disabled', reasons: [] })
    expect(typeof r.json.queueDepth).toBe('number')
  })
})
