/**
 * Interop: the intake backlog limit against a real Prometheus Alertmanager. While the relay
 * answers every message with a temporary failure, deliveries pile up to
 * ALERTMAIL_MAX_QUEUED_DELIVERIES and the webhook gets 503 ERR_QUEUE_FULL. Alertmanager treats a
 * 5xx as retryable (a 4xx would make it drop the notification), so once the relay recovers and
 * the backlog drains, its own retry delivers the alert: refused, never lost.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { api, startServe, stopServe, type Api, type ServeProcess } from '../e2e/support.js'
import { relaySettings, startRelay, waitFor, type Relay } from '../http/relay.js'
import { alertmanagerAvailable, startAlertmanager, type Alertmanager } from '../support/alertmanager.js'

const RECIPIENT = 'noc@customer.example'
const SUBJECT = '[CRITICAL] Backlog interop: SYN flood towards 203.0.113.77 — edge-9'

const tempFail = { on: true }
let relay: Relay
let dataDir: string
let serve: ServeProcess | undefined
let am: Alertmanager | undefined
let call: Api
let producerToken: string

beforeAll(async () => {
  if (!alertmanagerAvailable()) throw new Error('this test needs /usr/bin/prometheus-alertmanager: run .ci/run (apt-get install prometheus-alertmanager)')
  relay = await startRelay({ tempFail })
  dataDir = mkdtempSync(join(tmpdir(), 'alertmail-interop-am-backlog-'))
  const adminToken = `adm_${randomBytes(24).toString('hex')}`
  serve = await startServe({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_ADMIN_TOKEN: adminToken, ALERTMAIL_MAX_QUEUED_DELIVERIES: '2' })
  call = api(serve.base, adminToken)
  expect((await call('POST', '/api/v1/users', { name: 'NOC', email: RECIPIENT, enabled: true, severities: ['critical'] })).status).toBe(201)
  const put = await call('PUT', '/api/v1/settings/email', relaySettings(relay.port, {
    fromAddress: 'alerts@appliance.example',
    retry: { maxAttempts: 100, minDelayMs: 200, maxDelayMs: 500, factor: 2, jitter: 0, maxAgeMs: 3_600_000 },
    version: 0,
  }))
  expect(put.status, JSON.stringify(put.json)).toBe(200)
  const token = await call('POST', '/api/v1/tokens', { name: 'prometheus-alertmanager' })
  expect(token.status, JSON.stringify(token.json)).toBe(201)
  producerToken = token.json.token
}, 120_000)

afterAll(async () => {
  await am?.stop()
  await stopServe(serve)
  await relay?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('Alertmanager webhook while the delivery backlog is full', { timeout: 180_000 }, () => {
  test('gets 503, retries, and its alert is mailed once the relay recovers', async () => {
    // Two critical alerts the relay keeps refusing (451): the delivery backlog reaches its limit of 2.
    for (const edge of ['edge-1', 'edge-2']) {
      expect((await call('POST', '/api/v1/events', { severity: 'critical', title: `${edge} down`, source: edge })).status).toBe(202)
    }
    await waitFor(async () => (await call('POST', '/api/v1/events', { severity: 'critical', title: 'edge-1 down', source: 'edge-1', dedupKey: 'edge-1' })).status === 503, 'intake to refuse', 60_000)

    am = await startAlertmanager({ webhookUrl: `${serve!.base}/api/v1/integrations/alertmanager`, bearerToken: producerToken, groupWait: '1s', groupInterval: '1s' })
    await am.postAlerts([{
      labels: { alertname: 'BacklogInterop', severity: 'critical', instance: 'edge-9' },
      annotations: { summary: 'Backlog interop: SYN flood towards 203.0.113.77' },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
    }])
    const detail = () => `\nrelay: ${relay.messages.length} message(s)\nalertmanager log:\n${am!.log().slice(-4000)}\nserve log:\n${serve!.stdout().slice(-3000)}${serve!.stderr()}`
    // Alertmanager logs the refusal and that it will retry (its retrier treats 5xx as retryable).
    const refusal = /Notify attempt failed, will retry later.*unexpected status code 503.*ERR_QUEUE_FULL/
    await waitFor(() => refusal.test(am!.log()), 'Alertmanager to be refused with 503 and to plan a retry', 60_000, detail)
    const metrics = await (await fetch(`${serve!.base}/metrics`)).text()
    expect(metrics).toMatch(/alertmail_intake_refused_total\{reason="queued_deliveries"\} [1-9]/)
    expect(relay.messages.some((m) => m.raw.includes('Backlog interop'))).toBe(false)

    // The relay recovers: the backlog drains, intake accepts, and Alertmanager's retry gets through.
    tempFail.on = false
    await waitFor(async () => {
      for (const m of relay.messages) if ((await simpleParser(m.raw)).subject === SUBJECT) return true
      return false
    }, 'the Alertmanager alert as a mail', 120_000, detail)
    expect(am.log()).toMatch(/Notify success/)
    const subjects = await Promise.all(relay.messages.map(async (m) => (await simpleParser(m.raw)).subject))
    expect(subjects.filter((s) => s === SUBJECT)).toHaveLength(1)
    expect(subjects.filter((s) => s?.includes('edge-1 down')).length).toBeGreaterThanOrEqual(1)
  })
})
