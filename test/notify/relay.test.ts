/**
 * The whole path over real sockets: Notifier → SQLite store → Worker → our SMTP client → an
 * in-process `smtp-server` relay. Checks what actually arrives: who gets which mail, that the support
 * copy is a message of its own, and the parts and headers of a rendered notification.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { DEFAULT_NOTIFICATION_POLICY, Notifier, validateEvents, type NotificationPolicy } from '../../src/notify/index.js'
import { Worker } from '../../src/outbox/index.js'
import { validateEmailSettings, smtpOptionsFromSettings, type EmailSettings } from '../../src/settings/index.js'
import { openStore, type AlertmailStore } from '../../src/store/index.js'
import { startRelay, type Relay } from '../http/relay.js'

let relay: Relay
let store: AlertmailStore
let dataDir: string
let settings: EmailSettings

/** Every severity immediate, so the test needs no clock games. */
const immediate: NotificationPolicy = {
  ...DEFAULT_NOTIFICATION_POLICY,
  high: { ...DEFAULT_NOTIFICATION_POLICY.high, groupWaitMs: 0 },
  medium: { ...DEFAULT_NOTIFICATION_POLICY.medium, groupWaitMs: 0 },
  low: { ...DEFAULT_NOTIFICATION_POLICY.low, groupWaitMs: 0 },
  info: { ...DEFAULT_NOTIFICATION_POLICY.info, groupWaitMs: 0 },
}

beforeAll(async () => {
  relay = await startRelay()
  dataDir = await mkdtemp(join(tmpdir(), 'alertmail-notify-relay-'))
  store = await openStore({ dataDir })
  const r = validateEmailSettings({
    enabled: true,
    host: '127.0.0.1',
    port: relay.port,
    encryption: 'NONE',
    startTls: false,
    fromAddress: 'alerts@appliance.example',
    technicalSupport: true,
    supportAddress: 'support@vendor.example',
    applianceName: 'edge-gw-01',
    consoleUrl: 'https://console.example.com/',
  })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  settings = r.value
})

afterAll(async () => {
  await store.close()
  await relay.close()
  await rm(dataDir, { recursive: true, force: true })
})

async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

test('each user gets exactly their severities, and support gets a separate copy of the critical one', async () => {
  for (const [email, severities] of [
    ['alice@example.com', ['critical', 'high']],
    ['bob@example.com', ['info']],
    ['carol@example.com', ['low']],
  ] as const) {
    const r = await store.createUser({ name: email.split('@')[0]!, email, enabled: true, severities }, new Date())
    expect(r.ok).toBe(true)
  }
  const notifier = new Notifier({ store, getSettings: () => settings, getPolicy: () => immediate })
  const worker = new Worker({ store, getConfig: () => ({ settings, smtp: smtpOptionsFromSettings(settings) }), pollIntervalMs: 50 })
  const body = validateEvents([
    { severity: 'critical', title: 'Mitigation capacity exceeded', source: 'edge-3', labels: { site: 'fra1' } },
    { severity: 'high', title: 'Packet loss 5%', source: 'edge-4' },
    { severity: 'info', title: 'Signature update installed', source: 'updater' },
  ])
  if (!body.ok) throw new Error('events')
  await notifier.accept(body.events)
  await notifier.tick()
  worker.start()
  try {
    await until(() => relay.messages.length >= 4)
  } finally {
    await worker.stop()
  }
  expect(relay.messages).toHaveLength(4)

  const received = await Promise.all(relay.messages.map(async (m) => ({ to: m.to, raw: m.raw, mail: await simpleParser(m.raw) })))
  const byRecipient = (email: string) => received.filter((r) => r.to.includes(email)).map((r) => r.mail.subject).sort()
  expect(byRecipient('alice@example.com')).toEqual(['[CRITICAL] Mitigation capacity exceeded — edge-3', '[HIGH] Packet loss 5% — edge-4'])
  expect(byRecipient('bob@example.com')).toEqual(['[INFO] Signature update installed — updater'])
  expect(byRecipient('carol@example.com')).toEqual([])
  expect(byRecipient('support@vendor.example')).toEqual(['[CRITICAL] edge-gw-01: Mitigation capacity exceeded — edge-3'])

  for (const r of received) expect(r.to).toHaveLength(1) // one envelope per recipient: nobody sees the others
  const support = received.find((r) => r.to.includes('support@vendor.example'))!
  expect(support.raw).not.toContain('alice@example.com')
  expect(support.mail.text).toContain('technical support copy')

  const critical = received.find((r) => r.to.includes('alice@example.com') && r.mail.subject?.startsWith('[CRITICAL]'))!
  expect(critical.mail.from?.value[0]?.address).toBe('alerts@appliance.example')
  expect(critical.mail.text).toContain('site = fra1')
  expect(critical.mail.html).toContain('https://console.example.com/')
  expect(critical.mail.messageId).toMatch(/@appliance\.example>$/)
  const log = await store.listDeliveries({ limit: 10 })
  expect(log.items.map((d) => d.state)).toEqual(['sent', 'sent', 'sent', 'sent'])
})
