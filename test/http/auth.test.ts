import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FailureLimiter } from '../../src/http/failure-limiter.js'
import { ADMIN_TOKEN, startHarness, type Harness } from './harness.js'

/** Every admin-only /api route (an events-only token gets 403 on each). */
const ADMIN_ROUTES: [string, string][] = [
  ['GET', '/api/v1/settings/email'],
  ['PUT', '/api/v1/settings/email'],
  ['GET', '/api/v1/settings/email/schema'],
  ['POST', '/api/v1/settings/email/test'],
  ['GET', '/api/v1/audit'],
  ['GET', '/api/v1/users'],
  ['POST', '/api/v1/users'],
  ['GET', '/api/v1/users/1'],
  ['PATCH', '/api/v1/users/1'],
  ['DELETE', '/api/v1/users/1'],
  ['GET', '/api/v1/deliveries'],
  ['GET', '/api/v1/deliveries/1'],
  ['POST', '/api/v1/deliveries/1/retry'],
  ['GET', '/api/v1/settings/notifications'],
  ['PUT', '/api/v1/settings/notifications'],
  ['POST', '/api/v1/templates/preview'],
  ['GET', '/api/v1/tokens'],
  ['POST', '/api/v1/tokens'],
  ['DELETE', '/api/v1/tokens/1'],
  ['GET', '/api/v1/health'],
]
const PRODUCER_ROUTES: [string, string][] = [
  ['POST', '/api/v1/events'],
  ['POST', '/api/v1/integrations/alertmanager'],
]

describe('bearer authentication', () => {
  let h: Harness
  let eventsToken = ''

  beforeAll(async () => {
    h = await startHarness()
    const r = await h.request('POST', '/api/v1/tokens', { name: 'edge-3 producer' })
    expect(r.status).toBe(201)
    eventsToken = r.json.token
  })
  afterAll(async () => {
    await h.close()
  })

  for (const [method, url] of [...ADMIN_ROUTES, ...PRODUCER_ROUTES]) {
    it(`${method} ${url} refuses a missing or wrong token with 401`, async () => {
      const missing = await h.request(method, url, method === 'GET' || method === 'DELETE' ? undefined : {}, null)
      expect(missing.status).toBe(401)
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer/)
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(missing.json.code).toBe('ERR_AUTH_REQUIRED')
      const wrong = await h.request(method, url, undefined, `${ADMIN_TOKEN}x`)
      expect(wrong.status).toBe(401)
      expect(wrong.json.code).toBe('ERR_AUTH_INVALID')
    })
  }

  for (const [method, url] of ADMIN_ROUTES) {
    it(`${method} ${url} refuses an events-only token with 403`, async () => {
      const r = await h.request(method, url, undefined, eventsToken)
      expect(r.status).toBe(403)
      expect(r.json.code).toBe('ERR_AUTH_FORBIDDEN')
    })
  }

  it('lets an events-only token post events and Alertmanager webhooks', async () => {
    const ev = await h.request('POST', '/api/v1/events', { severity: 'high', title: 'SYN flood', source: 'edge-3' }, eventsToken)
    expect(ev.status, ev.body).toBe(202)
    expect(ev.json.ids).toHaveLength(1)
    const am = await h.request(
      'POST',
      '/api/v1/integrations/alertmanager',
      { version: '4', status: 'firing', receiver: 'alertmail', alerts: [{ status: 'firing', labels: { alertname: 'HighLoad', severity: 'critical' }, annotations: {}, startsAt: new Date().toISOString() }] },
      eventsToken,
    )
    expect(am.status, am.body).toBe(202)
  })

  it('shows a producer token once and never lists its secret; a revoked token stops working', async () => {
    const created = await h.request('POST', '/api/v1/tokens', { name: 'temporary' })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ name: 'temporary', role: 'events', token: expect.stringMatching(/^am_ev_/) })
    const list = await h.request('GET', '/api/v1/tokens')
    expect(list.body).not.toContain(created.json.token)
    expect(list.json.items.map((t: { id: string }) => t.id)).toContain(created.json.id)
    expect((await h.request('POST', '/api/v1/events', { severity: 'info', title: 't' }, created.json.token)).status).toBe(202)
    expect((await h.request('DELETE', `/api/v1/tokens/${created.json.id}`)).status).toBe(204)
    expect((await h.request('POST', '/api/v1/events', { severity: 'info', title: 't' }, created.json.token)).status).toBe(401)
    expect((await h.request('DELETE', `/api/v1/tokens/${created.json.id}`)).status).toBe(404)
  })

  it('never writes a bearer token to the log', () => {
    expect(h.logs.length).toBeGreaterThan(50)
    for (const line of h.logs) {
      expect(line).not.toContain(ADMIN_TOKEN)
      expect(line).not.toContain(eventsToken)
    }
  })

  it('keeps probes, metrics and docs open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/docs/json']) {
      const r = await h.request('GET', url, undefined, null)
      expect(r.status, url).toBe(200)
    }
  })

  it('sets the security headers on every response and never any CORS header', async () => {
    for (const [method, url, token] of [
      ['GET', '/api/v1/settings/email', ADMIN_TOKEN],
      ['GET', '/api/v1/settings/email', null],
      ['GET', '/healthz', null],
      ['GET', '/nope', null],
      ['GET', '/docs', null],
      ['OPTIONS', '/api/v1/events', null],
    ] as const) {
      const res = await h.am.app.inject({
        method,
        url,
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      })
      const csp = String(res.headers['content-security-policy'])
      expect(csp, url).toContain("frame-ancestors 'none'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      expect(Object.keys(res.headers).filter((k) => k.startsWith('access-control-'))).toEqual([])
    }
  })
})

describe('failed-authentication rate limit', () => {
  let h: Harness
  let clock = 0
  beforeAll(async () => {
    h = await startHarness({ limiter: new FailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => clock }) })
  })
  afterAll(async () => {
    await h.close()
  })

  it('answers 429 with Retry-After after too many wrong tokens, even to the right one, until the window passes', async () => {
    for (let i = 0; i < 3; i++) expect((await h.request('GET', '/api/v1/users', undefined, `wrong-${i}`)).status).toBe(401)
    const blocked = await h.request('GET', '/api/v1/users', undefined, ADMIN_TOKEN)
    expect(blocked.status).toBe(429)
    expect(blocked.json.code).toBe('ERR_AUTH_RATE_LIMITED')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    clock += 60_001
    expect((await h.request('GET', '/api/v1/users', undefined, ADMIN_TOKEN)).status).toBe(200)
  })

  it('does not count requests without a token as guesses', async () => {
    clock += 120_000
    for (let i = 0; i < 5; i++) expect((await h.request('GET', '/api/v1/users', undefined, null)).status).toBe(401)
    expect((await h.request('GET', '/api/v1/users', undefined, ADMIN_TOKEN)).status).toBe(200)
  })
})
