import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFromEnv, createAlertmail, type Alertmail } from '../../src/app.js'
import { LEGACY_POLICY_FILE, StoredPolicy } from '../../src/http/notification-policy.js'
import { DEFAULT_NOTIFICATION_POLICY } from '../../src/notify/index.js'
import { openStore } from '../../src/store/index.js'
import { createTestDatabase, type TestDatabase } from '../support/pg.js'
import { ADMIN_TOKEN, startHarness, type Harness } from './harness.js'

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
    expect(before.json.version).toBe(0)
    expect(before.json.schema.title).toBe('NotificationPolicy')
    const put = await h.request('PUT', '/api/v1/settings/notifications', { high: { groupWaitMs: 0 } })
    expect(put.status, put.body).toBe(200)
    expect(put.json.policy.high.groupWaitMs).toBe(0)
    expect(put.json.policy.low).toEqual(before.json.policy.low)
    expect(put.json.version).toBe(1)
    const after = await h.request('GET', '/api/v1/settings/notifications')
    expect(after.json).toMatchObject({ version: 1, policy: { high: { groupWaitMs: 0 } } })
    // In the database, not in a file in the data dir.
    expect(await h.am.store.getNotificationPolicy()).toMatchObject({ version: 1, policy: { high: { groupWaitMs: 0 } } })
    expect(existsSync(join(h.dataDir, LEGACY_POLICY_FILE))).toBe(false)
    const bad = await h.request('PUT', '/api/v1/settings/notifications', { high: { groupWaitMs: -5 } })
    expect(bad.status).toBe(400)
    expect(bad.json.errors[0].field).toBe('high.groupWaitMs')
    const audit = await h.request('GET', '/api/v1/audit')
    expect(audit.json.items.find((e: { action: string }) => e.action === 'settings.notifications.update').fields).toEqual(['high.groupWaitMs'])
  })

  it('refuses a stale version with 409 and the current policy, and names a bad version', async () => {
    const current = await h.request('GET', '/api/v1/settings/notifications')
    const v = current.json.version as number
    const ok = await h.request('PUT', '/api/v1/settings/notifications', { medium: { groupWaitMs: 1_000 }, version: v })
    expect(ok.status, ok.body).toBe(200)
    expect(ok.json.version).toBe(v + 1)
    const stale = await h.request('PUT', '/api/v1/settings/notifications', { medium: { groupWaitMs: 2_000 }, version: v })
    expect(stale.status, stale.body).toBe(409)
    expect(stale.json).toMatchObject({ status: 409, code: 'ERR_SETTINGS_VERSION_CONFLICT', current: { version: v + 1, policy: { medium: { groupWaitMs: 1_000 } } } })
    expect((await h.request('GET', '/api/v1/settings/notifications')).json.policy.medium.groupWaitMs).toBe(1_000)
    for (const version of [-1, 1.5, '2', null]) {
      const bad = await h.request('PUT', '/api/v1/settings/notifications', { medium: { groupWaitMs: 3_000 }, version })
      expect(bad.status, bad.body).toBe(400)
      expect(bad.json.errors.map((e: { field: string }) => e.field)).toEqual(['version'])
    }
    expect((await h.am.store.getNotificationPolicy())?.version).toBe(v + 1)
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

describe('notification policy shared through the database', () => {
  let pg: TestDatabase
  let a: Harness
  let b: Harness
  beforeAll(async () => {
    pg = await createTestDatabase('alertmail_policy')
    a = await startHarness({ databaseUrl: pg.url })
    b = await startHarness({ databaseUrl: pg.url })
  }, 60_000)
  afterAll(async () => {
    await a?.close()
    await b?.close()
    await pg?.drop()
  })

  it('a change saved by one process is what another process serves and its notifier reads', async () => {
    const put = await a.request('PUT', '/api/v1/settings/notifications', { low: { groupWaitMs: 123_000 }, version: 0 })
    expect(put.status, put.body).toBe(200)
    const seen = await b.request('GET', '/api/v1/settings/notifications')
    expect(seen.json).toMatchObject({ version: 1, policy: { low: { groupWaitMs: 123_000 } } })
    // B's notifier reads the cached copy: it follows within the refresh interval (waited for, not timed).
    await expect.poll(async () => (await b.am.pipeline.policy.get()).policy.low.groupWaitMs, { timeout: 30_000, interval: 200 }).toBe(123_000)
    // B saves on top of A's version; A, holding version 0, is refused.
    expect((await b.request('PUT', '/api/v1/settings/notifications', { low: { groupWaitMs: 5_000 }, version: 1 })).status).toBe(200)
    const stale = await a.request('PUT', '/api/v1/settings/notifications', { low: { groupWaitMs: 7_000 }, version: 1 })
    expect(stale.status).toBe(409)
    expect(stale.json.current).toMatchObject({ version: 2, policy: { low: { groupWaitMs: 5_000 } } })
  })
})

describe('StoredPolicy cache', () => {
  it('serves the notifier from memory until the refresh interval passes, and a local save at once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'alertmail-policy-'))
    const store = await openStore({ dataDir })
    const other = await openStore({ dataDir })
    try {
      let clock = 0
      const policy = new StoredPolicy(store, { refreshMs: 2_000, clock: () => clock })
      expect(await policy.get()).toEqual({ policy: DEFAULT_NOTIFICATION_POLICY, version: 0 })
      // Another process saves: not seen before the refresh interval, seen after it.
      const saved = await other.saveNotificationPolicy({ ...DEFAULT_NOTIFICATION_POLICY, info: { ...DEFAULT_NOTIFICATION_POLICY.info, groupWaitMs: 42 } }, 0)
      expect(saved.ok).toBe(true)
      clock = 1_999
      expect((await policy.get()).version).toBe(0)
      expect((await policy.read()).version).toBe(1)
      clock = 2_000
      const later = await policy.get()
      expect(later.version).toBe(1)
      expect(later.policy.info.groupWaitMs).toBe(42)
      // A local save is visible without waiting; a stale one reports the current policy.
      const mine = await policy.save({ ...later.policy, info: { ...later.policy.info, groupWaitMs: 43 } }, 1)
      expect(mine).toMatchObject({ ok: true, version: 2 })
      expect((await policy.get()).policy.info.groupWaitMs).toBe(43)
      expect(await policy.save(DEFAULT_NOTIFICATION_POLICY, 1)).toMatchObject({ ok: false, current: { version: 2 } })
      // A stored row this release cannot read: defaults, keeping its version so a save replaces it.
      const invalid: number[] = []
      await other.saveNotificationPolicy({ nonsense: true }, 2)
      const strict = new StoredPolicy(store, { onInvalid: (v) => invalid.push(v) })
      expect(await strict.get()).toEqual({ policy: DEFAULT_NOTIFICATION_POLICY, version: 3 })
      await strict.read()
      expect(invalid).toEqual([3])
    } finally {
      await store.close()
      await other.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('upgrade from notification-policy.json', () => {
  async function start(dataDir: string): Promise<Alertmail> {
    const am = await createAlertmail({ ...configFromEnv({}), dataDir, port: 0, adminToken: ADMIN_TOKEN, webRoot: join(dataDir, 'no-ui'), logLevel: 'silent' }, { background: false, print: () => {} })
    await am.app.ready()
    return am
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON under test
  async function get(am: Alertmail, url: string): Promise<any> {
    const res = await am.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    return JSON.parse(res.body)
  }

  it('imports the file once when the database has no policy, audits it, and leaves the file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'alertmail-policy-'))
    const file = join(dataDir, LEGACY_POLICY_FILE)
    writeFileSync(file, JSON.stringify({ high: { groupWaitMs: 0 } }))
    try {
      let am = await start(dataDir)
      try {
        expect(await get(am, '/api/v1/settings/notifications')).toMatchObject({ version: 1, policy: { high: { groupWaitMs: 0 } } })
        const audit = await get(am, '/api/v1/audit')
        expect(audit.items.find((e: { action: string }) => e.action === 'settings.notifications.import')).toMatchObject({ actor: 'system', fields: ['high.groupWaitMs'] })
        expect(existsSync(file)).toBe(true)
        // A later change to the file is not imported again: the database owns the policy now.
        writeFileSync(file, JSON.stringify({ high: { groupWaitMs: 999 } }))
      } finally {
        await am.stop()
      }
      am = await start(dataDir)
      try {
        expect(await get(am, '/api/v1/settings/notifications')).toMatchObject({ version: 1, policy: { high: { groupWaitMs: 0 } } })
      } finally {
        await am.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('starts on the defaults when the file is not a valid policy', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'alertmail-policy-'))
    writeFileSync(join(dataDir, LEGACY_POLICY_FILE), JSON.stringify({ high: { groupWaitMs: -1 } }))
    try {
      const am = await start(dataDir)
      try {
        expect(await get(am, '/api/v1/settings/notifications')).toEqual(expect.objectContaining({ version: 0, policy: DEFAULT_NOTIFICATION_POLICY }))
        expect(await am.store.getNotificationPolicy()).toBeUndefined()
      } finally {
        await am.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
