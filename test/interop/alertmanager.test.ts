/**
 * Interop: Prometheus Alertmanager (Debian's prometheus-alertmanager) → its webhook receiver →
 * `alertmail serve` (the built CLI, a child process) at POST /api/v1/integrations/alertmanager,
 * authenticated with an events-only producer token → notification pipeline → our SMTP client →
 * an in-process `smtp-server` relay. An alert posted to Alertmanager's own API (POST /api/v2/alerts)
 * ends as one mail; the same alert posted again with endsAt in the past (how a Prometheus server
 * resolves it) ends as a second mail, the resolution.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { api, startServe, stopServe, type Api, type ServeProcess } from '../e2e/support.js'
import { relaySettings, startRelay, waitFor, type Relay } from '../http/relay.js'
import { alertmanagerAvailable, startAlertmanager, type Alertmanager, type PostableAlert } from '../support/alertmanager.js'

const RECIPIENT = 'noc@customer.example'
const FROM = 'alerts@appliance.example'

let relay: Relay
let dataDir: string
let serve: ServeProcess | undefined
let am: Alertmanager | undefined
let call: Api
let producerToken: string

beforeAll(async () => {
  if (!alertmanagerAvailable()) throw new Error('this test needs /usr/bin/prometheus-alertmanager: run .ci/run (apt-get install prometheus-alertmanager)')
  relay = await startRelay()
  dataDir = mkdtempSync(join(tmpdir(), 'alertmail-interop-am-'))
  const adminToken = `adm_${randomBytes(24).toString('hex')}`
  serve = await startServe({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_ADMIN_TOKEN: adminToken })
  call = api(serve.base, adminToken)

  const user = await call('POST', '/api/v1/users', { name: 'NOC', email: RECIPIENT, enabled: true, severities: ['critical', 'high'] })
  expect(user.status, JSON.stringify(user.json)).toBe(201)
  const current = await call('GET', '/api/v1/settings/email')
  expect(current.status).toBe(200)
  const put = await call('PUT', '/api/v1/settings/email', relaySettings(relay.port, { fromAddress: FROM, connectionTimeoutMs: 30_000, socketTimeoutMs: 30_000, version: current.json.version }))
  expect(put.status, JSON.stringify(put.json)).toBe(200)
  // The notification policy stays at its defaults (src/notify/policy.ts): a critical alert is
  // mailed at once (groupWaitMs 0) and a resolution after the group wait, whatever the interval.
  const policy = await call('GET', '/api/v1/settings/notifications')
  expect(policy.json.policy.critical.groupWaitMs).toBe(0)

  const token = await call('POST', '/api/v1/tokens', { name: 'prometheus-alertmanager' })
  expect(token.status, JSON.stringify(token.json)).toBe(201)
  producerToken = token.json.token

  am = await startAlertmanager({
    webhookUrl: `${serve.base}/api/v1/integrations/alertmanager`,
    bearerToken: producerToken,
    groupWait: '1s',
    groupInterval: '1s',
    resolveTimeout: '5m',
  })
}, 120_000)

afterAll(async () => {
  await am?.stop()
  await stopServe(serve)
  await relay?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('Prometheus Alertmanager → webhook → alertmail serve → SMTP relay', { timeout: 120_000 }, () => {
  test('the producer token may post the webhook but not read the API', async () => {
    const res = await fetch(`${serve!.base}/api/v1/users`, { headers: { authorization: `Bearer ${producerToken}` } })
    expect(res.status).toBe(403)
  })

  test('an alert posted to Alertmanager arrives as a mail, and its resolution as a second one', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString()
    const alert: PostableAlert = {
      labels: { alertname: 'SynFloodDetected', severity: 'critical', instance: 'edge-3', job: 'ddos-sensor' },
      annotations: {
        summary: 'SYN flood towards 203.0.113.10',
        description: '1.2 Mpps of SYN packets from 4,096 sources; mitigation engaged.',
        runbook_url: 'https://runbooks.example/syn-flood',
      },
      startsAt,
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=syn_rate',
    }
    await am!.postAlerts([alert])
    const detail = () => `\nrelay: ${relay.messages.length} message(s)\nalertmanager log:\n${am!.log().slice(-4000)}\nserve log:\n${serve!.stdout().slice(-4000)}${serve!.stderr()}`
    await waitFor(() => relay.messages.length >= 1, 'the firing alert as a mail', 90_000, detail)

    const firing = relay.messages[0]!
    expect(firing).toMatchObject({ from: FROM, to: [RECIPIENT] })
    const mail1 = await simpleParser(firing.raw)
    expect(mail1.subject).toBe('[CRITICAL] SYN flood towards 203.0.113.10 — edge-3')
    expect(mail1.text).toContain('1.2 Mpps of SYN packets from 4,096 sources; mitigation engaged.')
    expect(mail1.text).toContain('Runbook: https://runbooks.example/syn-flood')
    expect(mail1.text).toContain('alertname = SynFloodDetected')
    expect(mail1.text).not.toContain('RESOLVED')

    // Alertmanager holds it as active; posting it again with endsAt in the past resolves it.
    await waitFor(async () => (await am!.alerts()).length === 1, 'Alertmanager to list the alert')
    await am!.postAlerts([{ ...alert, endsAt: new Date(Date.now() - 1000).toISOString() }])
    await waitFor(() => relay.messages.length >= 2, 'the resolution as a second mail', 90_000, detail)

    const resolved = relay.messages[1]!
    expect(resolved).toMatchObject({ from: FROM, to: [RECIPIENT] })
    const mail2 = await simpleParser(resolved.raw)
    expect(mail2.subject).toBe('[CRITICAL] Resolved: SYN flood towards 203.0.113.10 — edge-3')
    expect(mail2.text).toMatch(/^CRITICAL · RESOLVED$/m)
    expect(mail2.messageId).not.toBe(mail1.messageId)

    // Both came through the Alertmanager intake (its webhook, our producer token) and are logged as sent.
    await waitFor(async () => (await call('GET', '/api/v1/deliveries?status=sent')).json.items.length === 2, 'two sent deliveries in the log')
    const log = await call('GET', '/api/v1/deliveries?status=sent')
    expect(log.json.items.map((d: { recipient: string }) => d.recipient)).toEqual([RECIPIENT, RECIPIENT])
    expect(am!.log()).toMatch(/Notify success/)
    expect(am!.log()).not.toContain(producerToken)
  })
})
