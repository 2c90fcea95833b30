/**
 * Recipients of one notification share a rendering only where that cannot change what they read:
 * with the built-in templates (which read no recipient field but the time zone, see
 * src/notify/templates.test.ts), recipients in one zone share it; recipients in other zones, the
 * support copy and administrators' templates that greet by name are rendered on their own.
 */
import { afterEach, beforeEach, expect, test } from 'vitest'
import { Notifier, validateEvents, type NotifySettings } from '../../src/notify/index.js'
import { settings as makeSettings } from './fixtures.js'
import { memoryHarness, type Harness } from './harness.js'

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0)
let h: Harness
let settings: NotifySettings

beforeEach(async () => {
  h = await memoryHarness()
  const night = (timeZone: string) => ({ start: '03:00', end: '03:01', timeZone })
  await h.addUser({ email: 'alice@example.com', severities: ['critical'], quietHours: night('Europe/Berlin') })
  await h.addUser({ email: 'bob@example.com', severities: ['critical'], quietHours: night('Europe/Berlin') })
  await h.addUser({ email: 'kenji@example.jp', severities: ['critical'], quietHours: night('Asia/Tokyo') })
})
afterEach(async () => {
  await h.close()
})

async function mailOnce(): Promise<Map<string, { subject: string; text: string; html: string; messageId: string }>> {
  const notifier = new Notifier({ store: h.store, getSettings: () => settings, now: () => new Date(T0) })
  const r = validateEvents({ severity: 'critical', title: 'Link down', source: 'edge-1' })
  if (!r.ok) throw new Error('invalid event')
  await notifier.accept(r.events)
  await notifier.tick()
  return new Map((await h.mails()).map((m) => [m.recipient, m]))
}

test('built-in templates: same zone, same content; each delivery its own Message-ID; other zones their own time', async () => {
  settings = makeSettings({ technicalSupport: true, supportAddress: 'support@vendor.example' })
  const mails = await mailOnce()
  const [alice, bob, kenji, support] = ['alice@example.com', 'bob@example.com', 'kenji@example.jp', 'support@vendor.example'].map((r) => mails.get(r)!)
  const content = (m: { subject: string; text: string; html: string } | undefined) => [m?.subject, m?.text, m?.html]
  expect(content(alice)).toEqual(content(bob))
  expect(content(alice)).not.toEqual(content(kenji))
  expect(new Set([alice, bob, kenji, support].map((m) => m!.messageId)).size).toBe(4)
  expect(alice!.text).toContain('27 Nov 2026, 13:00:00') // 12:00Z in Berlin
  expect(kenji!.text).toContain('27 Nov 2026, 21:00:00') // in Tokyo
  expect(support!.text).toContain('technical support copy')
  expect(alice!.text).not.toContain('technical support copy')
})

test('an administrator template that greets by name is rendered per recipient', async () => {
  settings = makeSettings({ templates: { subject: 'For {{ recipient.name }}: {{ title }}', text: 'Hello {{ recipient.email }}', html: '' } })
  const mails = await mailOnce()
  expect(mails.get('alice@example.com')).toMatchObject({ subject: 'For alice: Link down', text: 'Hello alice@example.com' })
  expect(mails.get('bob@example.com')).toMatchObject({ subject: 'For bob: Link down', text: 'Hello bob@example.com' })
})
