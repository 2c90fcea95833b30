import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTestCerts, type TestCerts } from '../support/certs.js'
import { startHarness, type Harness, type Reply } from './harness.js'
import { startRelay, startSilentServer, type Relay } from './relay.js'

const USER = 'ops@example.com'
const PASSWORD = 'Relay-Pa55word-42!'

describe('Send Test Mail', () => {
  let h: Harness
  let certs: TestCerts
  let relay: Relay
  const bodies: string[] = []
  const closers: (() => Promise<void>)[] = []

  const form = (port: number, extra: Record<string, unknown> = {}) => ({
    host: '127.0.0.1',
    port,
    encryption: 'TLS',
    startTls: true,
    authEnabled: true,
    username: USER,
    password: PASSWORD,
    fromAddress: 'alerts@example.com',
    tlsCa: certs.caPem,
    connectionTimeoutMs: 10_000,
    socketTimeoutMs: 10_000,
    ...extra,
  })
  const test = async (body: unknown): Promise<Reply> => {
    const r = await h.request('POST', '/api/v1/settings/email/test', body)
    bodies.push(r.body)
    return r
  }

  beforeAll(async () => {
    certs = makeTestCerts()
    h = await startHarness()
    relay = await startRelay({ users: { [USER]: PASSWORD }, cert: certs })
    closers.push(() => relay.close())
  })
  afterAll(async () => {
    for (const close of closers) await close()
    await h.close()
  })

  it('reports every step and delivers through a STARTTLS relay with AUTH', async () => {
    const r = await test({ to: 'noc@example.com', settings: form(relay.port) })
    expect(r.status).toBe(200)
    expect(r.json.ok, r.body).toBe(true)
    const steps = (r.json.steps as { step: string; ok: boolean; ms: number }[])
    expect(steps.map((s) => s.step)).toEqual(expect.arrayContaining(['connect', 'greeting', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data']))
    expect(steps.every((s) => s.ok && typeof s.ms === 'number')).toBe(true)
    expect(r.json.transcript.length).toBeGreaterThan(5)
    expect(relay.messages).toHaveLength(1)
    expect(relay.messages[0]).toMatchObject({ from: 'alerts@example.com', to: ['noc@example.com'] })
    expect(relay.messages[0]!.raw).toContain('Subject: Test mail from')
  })

  it('explains a wrong password (535) with a hint about the password and App Passwords', async () => {
    const before = relay.messages.length
    const r = await test({ to: 'noc@example.com', settings: form(relay.port, { password: 'wrong-password' }) })
    expect(r.json.ok).toBe(false)
    expect(r.json.error).toMatchObject({ code: 'ERR_SMTP_AUTH', reply: { code: 535 } })
    expect(r.json.error.hint).toMatch(/username or password/)
    expect(r.json.error.hint).toMatch(/App Password/)
    expect(r.json.steps.find((s: { step: string }) => s.step === 'auth')).toMatchObject({ ok: false })
    expect(relay.messages.length).toBe(before)
  })

  it('explains a server without STARTTLS under TLS: choose SSL on 465 or NONE', async () => {
    const plain = await startRelay({ noStartTls: true })
    closers.push(() => plain.close())
    const r = await test({ to: 'noc@example.com', settings: form(plain.port, { authEnabled: false, password: undefined }) })
    expect(r.json.ok).toBe(false)
    expect(r.json.error.code).toBe('ERR_SMTP_TLS')
    expect(r.json.error.hint).toMatch(/SSL on port 465/)
    expect(r.json.error.hint).toMatch(/NONE/)
    expect(plain.messages).toHaveLength(0)
  })

  it('explains an untrusted certificate: add the CA or fix the host name', async () => {
    const r = await test({ to: 'noc@example.com', settings: form(relay.port, { tlsCa: '' }) })
    expect(r.json.ok).toBe(false)
    expect(r.json.error.code).toBe('ERR_SMTP_TLS')
    expect(r.json.error.hint).toMatch(/CA certificate/)
    expect(r.json.error.hint).toMatch(/host name/)
  })

  it('gives up on a stalled server after the socket timeout', async () => {
    const silent = await startSilentServer()
    closers.push(() => silent.close())
    const r = await test({ to: 'noc@example.com', settings: form(silent.port, { socketTimeoutMs: 1000 }) })
    expect(r.json.ok).toBe(false)
    expect(r.json.error.code).toBe('ERR_SMTP_TIMEOUT')
    expect(r.json.error.hint).toMatch(/firewall/)
    expect(r.json.steps.find((s: { step: string }) => s.step === 'greeting')).toMatchObject({ ok: false })
  })

  it('uses the saved password only for the saved server; a changed host without a password sends nothing', async () => {
    const saved = form(relay.port, { enabled: true })
    const put = await h.request('PUT', '/api/v1/settings/email', { ...saved, version: (await h.request('GET', '/api/v1/settings/email')).json.version })
    expect(put.status, put.body).toBe(200)
    const { password: _p, ...withoutPassword } = saved

    // Same host, port, encryption and username: the stored password is used.
    const same = await test({ to: 'noc@example.com', settings: withoutPassword })
    expect(same.json.ok, same.body).toBe(true)

    // Another host (here: another relay, "localhost" instead of the address): refused before connecting.
    const other = await startRelay({ users: { [USER]: PASSWORD }, cert: certs })
    closers.push(() => other.close())
    const moved = await test({ to: 'noc@example.com', settings: { ...withoutPassword, host: 'localhost', port: other.port } })
    expect(moved.status).toBe(200)
    expect(moved.json).toMatchObject({ ok: false, steps: [], transcript: [], error: { code: 'ERR_TEST_SECRET_REQUIRED' } })
    expect(moved.json.error.hint).toMatch(/Enter the password/)
    expect(other.connections()).toBe(0)
    expect(other.authAttempts).toHaveLength(0)

    // A changed username on the same server: refused too.
    const renamed = await test({ to: 'noc@example.com', settings: { ...withoutPassword, username: 'other@example.com' } })
    expect(renamed.json.error.code).toBe('ERR_TEST_SECRET_REQUIRED')
  })

  it('tests the saved settings when the body has none', async () => {
    const r = await test({ to: 'noc@example.com' })
    expect(r.json.ok, r.body).toBe(true)
  })

  it('names the field of a bad request', async () => {
    const noTo = await test({ settings: form(relay.port) })
    expect(noTo.status).toBe(400)
    expect(noTo.json.errors.map((e: { field: string }) => e.field)).toContain('to')
    const badPort = await test({ to: 'noc@example.com', settings: form(relay.port, { port: 0 }) })
    expect(badPort.status).toBe(400)
    expect(badPort.json.errors.map((e: { field: string }) => e.field)).toContain('settings.port')
  })

  it('never shows the password in a response, transcript or log line', () => {
    const needles = [PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')]
    expect(relay.authAttempts.some((a) => a.password === PASSWORD)).toBe(true)
    for (const needle of needles) {
      for (const body of bodies) expect(body).not.toContain(needle)
      for (const line of h.logs) expect(line).not.toContain(needle)
    }
  })
})
