import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMAIL_SETTINGS_FIELDS } from '../../src/settings/index.js'
import { makeTestCerts } from '../support/certs.js'
import { startHarness, type Harness, type Reply } from './harness.js'

const PASSWORD = 'Sup3r-Secret-Pa55!'
const CLIENT_SECRET = 'oauth-client-secret-XYZ'

/** A value different from the default for every field of DESIGN.md §2 (and the advanced ones). */
function fullSettings(caPem: string) {
  return {
    enabled: true,
    host: 'smtp.example.com',
    port: 465,
    connectionTimeoutMs: 5000,
    socketTimeoutMs: 7000,
    authEnabled: true,
    username: 'ops@example.com',
    password: PASSWORD,
    technicalSupport: true,
    encryption: 'SSL',
    dsnRet: 'HDRS',
    dsnNotify: ['SUCCESS', 'FAILURE'],
    ehlo: true,
    startTls: false,
    eightBitMime: true,
    partialEmail: true,
    userSet: true,
    quitWait: false,
    fromAddress: 'alerts@example.com',
    fromName: 'Edge Alerts',
    heloName: 'appliance.example.com',
    supportAddress: 'support@vendor.example',
    tlsMinVersion: 'TLSv1.3',
    tlsVerify: false,
    tlsCa: caPem,
    authMethod: 'LOGIN',
    oauth2: { tokenUrl: 'https://login.example.com/token', clientId: 'client-1', clientSecret: CLIENT_SECRET, scope: 'smtp.send' },
    allowInsecureAuth: true,
    maxConnections: 3,
    maxMessagesPerConnection: 50,
    maxRecipientsPerMessage: 40,
    rateLimitPerMinute: 30,
    maxMessageBytes: 1_000_000,
    retry: { maxAttempts: 4, minDelayMs: 1000, maxDelayMs: 60_000, factor: 3, jitter: 0.1, maxAgeMs: 3_600_000 },
    applianceName: 'edge-fw-1',
    consoleUrl: 'https://console.example.com/',
    templates: { subject: '[{{ severity }}] {{ title }}', text: 'Alert: {{ title }}', html: '<p>{{ title }}</p>' },
  }
}

describe('settings API', () => {
  let h: Harness
  const bodies: string[] = []
  let caPem = ''
  const call = async (method: string, url: string, body?: unknown): Promise<Reply> => {
    const r = await h.request(method, url, body)
    bodies.push(r.body)
    return r
  }

  beforeAll(async () => {
    caPem = makeTestCerts().caPem
    h = await startHarness()
  })
  afterAll(async () => {
    await h.close()
  })

  it('answers the defaults with version 0 and passwordSet false before the first save', async () => {
    const r = await call('GET', '/api/v1/settings/email')
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ version: 0, passwordSet: false, enabled: false, port: 587, encryption: 'TLS' })
    expect(r.json).not.toHaveProperty('password')
    expect(r.json.oauth2).toMatchObject({ clientSecretSet: false })
  })

  it('round-trips every field through PUT and GET, the password only as passwordSet', async () => {
    const sent = fullSettings(caPem)
    const put = await call('PUT', '/api/v1/settings/email', { ...sent, version: 0 })
    expect(put.status, put.body).toBe(200)
    expect(put.json.version).toBe(1)
    const got = await call('GET', '/api/v1/settings/email')
    expect(got.status).toBe(200)
    const { password: _p, oauth2, ...plain } = sent
    const { clientSecret: _c, ...plainOauth } = oauth2
    expect(got.json).toMatchObject({ ...plain, oauth2: { ...plainOauth, clientSecretSet: true }, passwordSet: true, version: 1 })
    for (const field of EMAIL_SETTINGS_FIELDS as string[]) {
      if (field === 'password') continue
      expect(got.json, `field ${field}`).toHaveProperty(field)
      expect(got.json[field], `field ${field}`).toEqual(field === 'oauth2' ? { ...plainOauth, clientSecretSet: true } : (sent as Record<string, unknown>)[field])
    }
    expect(got.json).not.toHaveProperty('password')
    expect(got.json.oauth2).not.toHaveProperty('clientSecret')
  })

  it('keeps the stored password when PUT omits it', async () => {
    const before = await h.am.store.getSettings()
    const { password: _p, ...rest } = fullSettings(caPem)
    const r = await call('PUT', '/api/v1/settings/email', { ...rest, fromName: 'Renamed', version: 1 })
    expect(r.status, r.body).toBe(200)
    expect(r.json).toMatchObject({ passwordSet: true, version: 2, fromName: 'Renamed' })
    const after = await h.am.store.getSettings()
    expect(after?.secrets['password']).toBe(before?.secrets['password'])
    // Sealed at rest: the stored row never holds the password in clear.
    expect(JSON.stringify(after)).not.toContain(PASSWORD)
  })

  it('answers 409 with the current values to a PUT with a stale version', async () => {
    const r = await call('PUT', '/api/v1/settings/email', { ...fullSettings(caPem), version: 1 })
    expect(r.status).toBe(409)
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(r.json).toMatchObject({ status: 409, code: 'ERR_SETTINGS_VERSION_CONFLICT', current: { version: 2, fromName: 'Renamed', passwordSet: true } })
    expect(r.json.current).not.toHaveProperty('password')
  })

  it('refuses to carry the saved password to a changed host without a new one', async () => {
    const { password: _p, ...rest } = fullSettings(caPem)
    const r = await call('PUT', '/api/v1/settings/email', { ...rest, host: 'evil.example.net', version: 2 })
    expect(r.status).toBe(400)
    expect(r.json.errors).toEqual([expect.objectContaining({ field: 'password' })])
  })

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a wrong type', { port: '25' }, 'port'],
    ['an out-of-range port', { port: 70000 }, 'port'],
    ['a negative timeout', { socketTimeoutMs: -1 }, 'socketTimeoutMs'],
    ['CRLF in the host', { host: 'smtp.example.com\r\nRCPT TO:<x@y>' }, 'host'],
    ['CRLF in the From name', { fromName: 'A\r\nBcc: victim@example.com' }, 'fromName'],
    ['an unknown key', { hostname: 'smtp.example.com' }, 'hostname'],
    ['an oversized host', { host: `${'a'.repeat(300)}.example.com` }, 'host'],
    ['an unknown encryption', { encryption: 'STARTTLS' }, 'encryption'],
    ['NEVER combined in dsnNotify', { dsnNotify: ['NEVER', 'SUCCESS'] }, 'dsnNotify'],
    ['TLS without Start TLS', { encryption: 'TLS', startTls: false }, 'startTls'],
    ['a nested retry field out of range', { retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
  ]
  for (const [what, patch, field] of invalid) {
    it(`names the field for ${what}`, async () => {
      const r = await call('PUT', '/api/v1/settings/email', { host: 'smtp.example.com', ...patch, version: 2 })
      expect(r.status, r.body).toBe(400)
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(r.json).toMatchObject({ status: 400, code: 'ERR_VALIDATION', title: expect.any(String), type: expect.any(String) })
      expect(r.json.errors.map((e: { field: string }) => e.field)).toContain(field)
    })
  }

  it('requires the version on PUT', async () => {
    const r = await call('PUT', '/api/v1/settings/email', { host: 'smtp.example.com' })
    expect(r.status).toBe(400)
    expect(r.json.errors[0].field).toBe('version')
  })

  it('refuses a body over the size limit with 413', async () => {
    const r = await call('PUT', '/api/v1/settings/email', { tlsCa: 'x'.repeat(2 * 1024 * 1024), version: 2 })
    expect(r.status).toBe(413)
    expect(r.json.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE')
  })

  it('records who changed which fields in the audit log, secrets by name only', async () => {
    const r = await call('GET', '/api/v1/audit')
    expect(r.status).toBe(200)
    const entries = r.json.items as { actor: string; action: string; fields: string[] }[]
    const saves = entries.filter((e) => e.action === 'settings.email.update')
    expect(saves).toHaveLength(2)
    expect(saves[0]).toMatchObject({ actor: 'admin' })
    expect(saves[0]!.fields).toEqual(['fromName'])
    expect(saves[1]!.fields).toEqual(expect.arrayContaining(['host', 'port', 'password', 'oauth2.clientSecret', 'retry.maxAttempts']))
  })

  it('serves the schema with titles, defaults, units, sections and presets', async () => {
    const r = await call('GET', '/api/v1/settings/email/schema')
    expect(r.status).toBe(200)
    expect(r.json.schema.properties.port).toMatchObject({ default: 587, title: 'Server Port' })
    expect(r.json.schema.properties.socketTimeoutMs['x-unit']).toBe('ms')
    expect(r.json.schema.properties.host['x-section']).toBe('seed')
    expect(r.json.schema.properties.password.writeOnly).toBe(true)
    expect(r.json.presets.map((p: { id: string }) => p.id)).toContain('gmail')
    expect(r.json.defaults).not.toHaveProperty('password')
  })

  it('never shows the password or client secret in any response or log line', () => {
    const needles = [PASSWORD, CLIENT_SECRET, Buffer.from(PASSWORD).toString('base64')]
    const haystacks = [...bodies, ...h.logs]
    expect(bodies.length).toBeGreaterThan(10)
    expect(h.logs.length).toBeGreaterThan(10)
    for (const needle of needles) for (const text of haystacks) expect(text).not.toContain(needle)
  })
})
