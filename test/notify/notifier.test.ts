import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  DEFAULT_NOTIFICATION_POLICY,
  fromAlertmanager,
  Notifier,
  validateEvents,
  type NotifySettings,
  type NotifyStore,
  type ValidEvent,
} from '../../src/notify/index.js'
import { alertmanagerPayload, settings as makeSettings } from './fixtures.js'
import { memoryHarness, postgresHarness, sqliteHarness, type Harness, type HarnessFactory } from './harness.js'

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0)
const SECOND = 1000
const MINUTE = 60 * SECOND

function events(input: unknown): ValidEvent[] {
  const r = validateEvents(input)
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return [...r.events]
}

async function until(cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

const HARNESSES: [string, HarnessFactory][] = [
  ['memory', memoryHarness],
  ['sqlite', sqliteHarness],
  ['postgres', postgresHarness],
]

describe.each(HARNESSES)('Notifier on the %s store', (_name, open) => {
  let h: Harness
  let clock: number
  let settings: NotifySettings
  let notifier: Notifier
  const now = () => new Date(clock)
  const make = (store: NotifyStore = h.store) => new Notifier({ store, getSettings: () => settings, now })

  beforeEach(async () => {
    h = await open()
    clock = T0
    settings = makeSettings()
    notifier = make()
  })
  afterEach(async () => {
    await notifier.stop()
    await h.close()
  })

  test('users get exactly the severities they subscribed to', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['critical', 'high'] })
    await h.addUser({ email: 'bob@example.com', severities: ['info'] })
    await h.addUser({ email: 'carol@example.com', severities: ['critical', 'medium'], enabled: false })
    await h.addUser({ email: 'dave@example.com', severities: ['critical'] })
    await notifier.accept(
      events(['critical', 'high', 'medium', 'info'].map((severity) => ({ severity, title: `${severity} thing`, source: `src-${severity}` }))),
    )
    clock += 2 * 60 * MINUTE // past every default group wait
    await notifier.tick()
    const got = (await h.mails()).map((m) => `${m.recipient} ${m.severity}`).sort()
    expect(got).toEqual(['alice@example.com critical', 'alice@example.com high', 'bob@example.com info', 'dave@example.com critical'])
  })

  test('critical goes out at once; lower severities wait for their group wait', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['critical', 'high'] })
    await notifier.accept(events([{ severity: 'critical', title: 'Link down', source: 'edge-1' }, { severity: 'high', title: 'Loss 5%', source: 'edge-1' }]))
    const first = await notifier.tick()
    expect((await h.mails()).map((m) => m.severity)).toEqual(['critical'])
    expect(first.nextDueAt).toEqual(new Date(T0 + DEFAULT_NOTIFICATION_POLICY.high.groupWaitMs))
    clock = first.nextDueAt!.getTime()
    await notifier.tick()
    expect((await h.mails()).map((m) => m.severity)).toEqual(['critical', 'high'])
  })

  test('the support copy is a separate notification that names no customer', async () => {
    settings = makeSettings({ technicalSupport: true, supportAddress: 'support@vendor.example' })
    await h.addUser({ email: 'alice@example.com', severities: ['critical', 'high'] })
    await h.addUser({ email: 'dave@example.com', severities: ['critical'] })
    await notifier.accept(events([{ severity: 'critical', title: 'Mitigation failed', source: 'edge-3' }]))
    await notifier.accept(events([{ severity: 'high', title: 'High only', source: 'edge-4' }]))
    clock += 10 * MINUTE
    await notifier.tick()
    const mails = await h.mails()
    const support = mails.filter((m) => m.recipient === 'support@vendor.example')
    expect(support).toHaveLength(1)
    expect(support[0]).toMatchObject({ kind: 'support', severity: 'critical', userId: undefined })
    const users = mails.filter((m) => m.severity === 'critical' && m.kind !== 'support')
    expect(users.map((m) => m.recipient).sort()).toEqual(['alice@example.com', 'dave@example.com'])
    expect(new Set(users.map((m) => m.notificationId)).size).toBe(1)
    expect(users[0]!.notificationId).not.toBe(support[0]!.notificationId)
    for (const body of [support[0]!.subject, support[0]!.text, support[0]!.html]) {
      expect(body).not.toContain('alice@example.com')
      expect(body).not.toContain('dave@example.com')
    }
    expect(support[0]!.subject).toContain('edge-gw-01') // the appliance identity
    expect(support[0]!.text).toContain('https://console.example.com/')
  })

  test('notifications disabled: events recorded, deliveries suppressed', async () => {
    settings = makeSettings({ enabled: false, technicalSupport: true, supportAddress: 'support@vendor.example' })
    await h.addUser({ email: 'alice@example.com', severities: ['critical'] })
    const ids = await notifier.accept(events({ severity: 'critical', title: 'Quietly recorded' }))
    expect(ids).toHaveLength(1)
    await notifier.tick()
    const mails = await h.mails()
    expect(mails.map((m) => [m.recipient, m.state])).toEqual([
      ['alice@example.com', 'suppressed'],
      ['support@vendor.example', 'suppressed'],
    ])
  })

  test('a storm of 10,000 events from one source becomes a bounded number of mails with exact counts', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['high'] })
    const vectors = ['SYN flood', 'UDP amplification', 'HTTP flood', 'ACK flood']
    // 10 minutes of storm: 1,000 events a minute, the grouper passing every 10 seconds.
    for (let minute = 0; minute < 10; minute++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ({
        severity: 'high',
        title: `${vectors[i % (i < 700 ? 1 : 4)]} towards 203.0.113.${i % 7}`,
        source: 'edge-3',
        category: 'ddos',
      }))
      await notifier.accept(events(batch))
      for (let s = 0; s < 6; s++) {
        await notifier.tick()
        clock += 10 * SECOND
      }
    }
    clock += 10 * MINUTE
    await notifier.tick()
    const mails = await h.mails()
    // One first mail after the 30 s group wait, then at most one digest per 5-minute interval.
    expect(mails.length).toBeGreaterThanOrEqual(2)
    expect(mails.length).toBeLessThanOrEqual(4)
    expect(mails.reduce((n, m) => n + m.eventCount, 0)).toBe(10_000)
    expect(mails[0]!.kind).toBe('alert')
    expect(mails[0]!.eventCount).toBe(1000)
    const digest = mails[1]!
    expect(digest.kind).toBe('digest')
    expect(digest.subject).toMatch(/^\[HIGH\] \d+ more alerts from edge-3 in the last 5 minutes$/)
    expect(digest.text).toContain(`${digest.eventCount} more alerts from edge-3`)
    expect(digest.text).toContain('SYN flood towards 203.0.113.')
    for (const m of mails) expect(m.createdAt.getTime() - T0).toBeGreaterThanOrEqual(30 * SECOND)
  })

  test('a critical storm: the first mail at once, then digests at most once per group interval', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['critical'] })
    const interval = DEFAULT_NOTIFICATION_POLICY.critical.groupIntervalMs
    for (let minute = 0; minute < 10; minute++) {
      await notifier.accept(events(Array.from({ length: 500 }, (_, i) => ({ severity: 'critical', title: `Flood ${i % 3}`, source: 'edge-9', category: 'ddos' }))))
      for (let s = 0; s < 6; s++) {
        await notifier.tick()
        clock += 10 * SECOND
      }
    }
    clock += 10 * MINUTE
    await notifier.tick()
    const mails = await h.mails()
    expect(mails[0]).toMatchObject({ kind: 'alert', eventCount: 500 })
    expect(mails[0]!.createdAt).toEqual(new Date(T0))
    expect(mails.length).toBeLessThanOrEqual(1 + Math.ceil((10 * MINUTE) / interval))
    expect(mails.reduce((n, m) => n + m.eventCount, 0)).toBe(5000)
    for (let i = 1; i < mails.length; i++) {
      expect(mails[i]!.kind).toBe('digest')
      expect(mails[i]!.createdAt.getTime() - mails[i - 1]!.createdAt.getTime()).toBeGreaterThanOrEqual(interval)
    }
  })

  test('the same dedupKey within the window is one notification with a count, then a counted repeat', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['high'] })
    const flap = { severity: 'high', title: 'BGP session flapping', source: 'edge-2', dedupKey: 'bgp-edge-2' }
    for (let i = 0; i < 5; i++) {
      await notifier.accept(events(flap))
      clock += SECOND
    }
    clock = T0 + DEFAULT_NOTIFICATION_POLICY.high.groupWaitMs
    await notifier.tick()
    let mails = await h.mails()
    expect(mails).toHaveLength(1)
    expect(mails[0]).toMatchObject({ kind: 'alert', eventCount: 5 })
    expect(mails[0]!.subject).toBe('[HIGH] BGP session flapping — edge-2 (×5)')

    for (let i = 0; i < 3; i++) {
      clock += MINUTE
      await notifier.accept(events(flap))
      await notifier.tick()
    }
    expect(await h.mails()).toHaveLength(1) // held until the repeat interval
    clock = T0 + DEFAULT_NOTIFICATION_POLICY.high.groupWaitMs + DEFAULT_NOTIFICATION_POLICY.high.repeatIntervalMs
    await notifier.tick()
    mails = await h.mails()
    expect(mails).toHaveLength(2)
    expect(mails[1]).toMatchObject({ kind: 'digest', eventCount: 3 })
    expect(mails[1]!.subject).toContain('repeated 3 times')
  })

  test('Alertmanager firing then resolved: an alert, then a resolution', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['critical'] })
    await h.addUser({ email: 'bob@example.com', severities: ['medium'] })
    const firing = fromAlertmanager(alertmanagerPayload('firing'))
    if (!firing.ok) throw new Error('fixture')
    await notifier.accept(firing.events)
    await notifier.tick()
    clock += 15 * MINUTE
    const resolved = fromAlertmanager(alertmanagerPayload('resolved'))
    if (!resolved.ok) throw new Error('fixture')
    await notifier.accept(resolved.events)
    await notifier.tick()
    const mails = await h.mails()
    expect(mails.map((m) => [m.recipient, m.kind, m.subject])).toEqual([
      ['alice@example.com', 'alert', '[CRITICAL] SYN rate above 1 Mpps on edge-3 — edge-3:9100'],
      ['alice@example.com', 'resolution', '[CRITICAL] Resolved: SYN rate above 1 Mpps on edge-3 — edge-3:9100'],
    ])
    expect(mails[0]!.text).toContain('Runbook: https://runbooks/syn')
    expect(mails[0]!.html).toContain('alertname')

    // A warning-level alert maps to medium and reaches bob after the medium group wait.
    const warning = fromAlertmanager(alertmanagerPayload('firing', 'warning', 'ffff000011112222'))
    if (!warning.ok) throw new Error('fixture')
    await notifier.accept(warning.events)
    clock += DEFAULT_NOTIFICATION_POLICY.medium.groupWaitMs
    await notifier.tick()
    expect((await h.mails()).filter((m) => m.recipient === 'bob@example.com').map((m) => m.severity)).toEqual(['medium'])
  })

  test('quiet hours hold everything but critical until they end', async () => {
    clock = Date.UTC(2026, 10, 27, 23, 0, 0) // 00:00 in Berlin
    const night = { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' }
    await h.addUser({ email: 'night@example.com', severities: ['critical', 'high'], quietHours: night })
    await h.addUser({ email: 'awake@example.com', severities: ['high'] })
    await notifier.accept(events([{ severity: 'critical', title: 'Now', source: 'a' }, { severity: 'high', title: 'Later', source: 'b' }]))
    clock += MINUTE
    await notifier.tick()
    const mails = await h.mails()
    const at = (email: string, severity: string) => mails.find((m) => m.recipient === email && m.severity === severity)
    expect(at('night@example.com', 'critical')?.nextAttemptAt).toEqual(new Date(clock))
    expect(at('awake@example.com', 'high')?.nextAttemptAt).toEqual(new Date(clock))
    const held = at('night@example.com', 'high')
    expect(held?.nextAttemptAt.toISOString()).toBe('2026-11-28T06:00:00.000Z')
    expect(held?.state).toBe('queued')
    expect(held?.text).toContain('28 Nov 2026, 00:0') // shown in the recipient's zone
  })

  test('when every recipient sleeps, the night is collected into one mail at the end of quiet hours', async () => {
    clock = Date.UTC(2026, 10, 27, 23, 0, 0)
    await h.addUser({ email: 'night@example.com', severities: ['high'], quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' } })
    for (let i = 0; i < 12; i++) {
      await notifier.accept(events({ severity: 'high', title: `Probe ${i}`, source: 'edge-5' }))
      clock += 30 * MINUTE
      const r = await notifier.tick()
      if (clock < Date.UTC(2026, 10, 28, 6)) expect(r.nextDueAt?.toISOString()).toBe('2026-11-28T06:00:00.000Z')
    }
    expect(await h.mails()).toEqual([])
    clock = Date.UTC(2026, 10, 28, 6, 0, 0)
    await notifier.tick()
    const mails = await h.mails()
    expect(mails).toHaveLength(1)
    expect(mails[0]).toMatchObject({ recipient: 'night@example.com', eventCount: 12 })
    expect(mails[0]!.nextAttemptAt).toEqual(new Date(clock))
  })

  test('accepted events survive a failed commit and a restart, and are mailed once', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['critical'] })
    const store = h.store
    const crashing: NotifyStore = {
      insertEvents: (e) => store.insertEvents(e),
      listPendingGroups: (o) => store.listPendingGroups(o),
      readGroupEvents: (k, o) => store.readGroupEvents(k, o),
      listUsers: () => store.listUsers(),
      deleteIdleGroups: (b) => store.deleteIdleGroups(b),
      commitGroup: () => Promise.reject(new Error('process killed mid-commit')),
      commitGroups: () => Promise.reject(new Error('process killed mid-commit')),
    }
    const errors: unknown[] = []
    const doomed = new Notifier({ store: crashing, getSettings: () => settings, now, onError: (e) => errors.push(e) })
    await doomed.accept(events([{ severity: 'critical', title: 'Must arrive', source: 'edge-1' }, { severity: 'critical', title: 'Must arrive', source: 'edge-1' }]))
    await doomed.tick()
    expect(errors).toHaveLength(1)
    expect(await h.mails()).toEqual([])
    // "Restart": a fresh Notifier on the same database finds the events still pending.
    await notifier.tick()
    await notifier.tick()
    const mails = await h.mails()
    expect(mails).toHaveLength(1)
    expect(mails[0]!.eventCount).toBe(2)
  })

  test('two notifiers sharing a store never notify the same events twice', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['critical'] })
    const other = make()
    await notifier.accept(events(Array.from({ length: 20 }, (_, i) => ({ severity: 'critical', title: `t${i}`, source: `s${i % 4}` }))))
    await Promise.all([notifier.tick(), other.tick(), notifier.tick(), other.tick()])
    const mails = await h.mails()
    expect(mails).toHaveLength(4)
    expect(mails.reduce((n, m) => n + m.eventCount, 0)).toBe(20)
  })

  test('start() delivers a critical event without a manual tick', async () => {
    await h.addUser({ email: 'alice@example.com', severities: ['critical'] })
    const enqueued: number[] = []
    notifier = new Notifier({ store: h.store, getSettings: () => settings, now, pollIntervalMs: 60_000, onEnqueued: (r) => enqueued.push(r.deliveries) })
    notifier.start()
    await notifier.accept(events({ severity: 'critical', title: 'Wake up', source: 'edge-1' }))
    await until(async () => (await h.mails()).length === 1)
    expect(enqueued).toEqual([1])
    await notifier.stop()
  })

  test('every delivery gets its own Message-ID on the sender domain, and a broken template falls back', async () => {
    settings = makeSettings({ templates: { subject: '{{ nope }}', text: '', html: '' } })
    await h.addUser({ email: 'alice@example.com', severities: ['critical'] })
    await h.addUser({ email: 'dave@example.com', severities: ['critical'] })
    await notifier.accept(events({ severity: 'critical', title: 'Templated', source: 'edge-1' }))
    await notifier.tick()
    const mails = await h.mails()
    expect(mails.map((m) => m.subject)).toEqual(['[CRITICAL] Templated — edge-1', '[CRITICAL] Templated — edge-1'])
    expect(mails[0]!.messageId).toMatch(/^<[0-9a-f-]{36}@example\.com>$/)
    expect(mails[0]!.messageId).not.toBe(mails[1]!.messageId)
  })
})
