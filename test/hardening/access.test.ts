/**
 * Access (issue 6 §5), over the app wired as `alertmail serve` wires it (createAlertmail) and a
 * real SQLite store in a temp dir. The route list is read from the app's own OpenAPI document,
 * so a route added later is covered without editing this file.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFromEnv, createAlertmail } from '../../src/app.js'
import { FailureLimiter } from '../../src/http/failure-limiter.js'
import { createLogger } from '../../src/http/logging.js'
import { SECRET_KEY_FILE } from '../../src/settings/index.js'
import { ADMIN_TOKEN, startHarness, type Harness } from '../http/harness.js'

/** Routes any events-only (producer) token may use; every other /api route is admin-only. */
const PRODUCER_ROUTES = new Set(['POST /api/v1/events', 'POST /api/v1/integrations/alertmanager'])

function apiRoutes(h: Harness): [string, string][] {
  const doc = h.am.app.swagger() as { paths?: Record<string, Record<string, unknown>> }
  const out: [string, string][] = []
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith('/api/')) continue
    for (const method of Object.keys(ops)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) out.push([method.toUpperCase(), path.replace(/\{[^}]+\}/g, '1')])
    }
  }
  return out
}

describe('every /api route checks the bearer token', () => {
  let h: Harness
  let routes: [string, string][] = []
  let eventsToken = ''
  let revokedToken = ''

  beforeAll(async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'alertmail-ui-'))
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body></body></html>')
    h = await startHarness({ webRoot })
    routes = apiRoutes(h)
    const t = await h.request('POST', '/api/v1/tokens', { name: 'producer' })
    expect(t.status, t.body).toBe(201)
    eventsToken = t.json.token
    const r = await h.request('POST', '/api/v1/tokens', { name: 'to be revoked' })
    revokedToken = r.json.token
    expect((await h.request('DELETE', `/api/v1/tokens/${String(r.json.id)}`)).status).toBeLessThan(300)
  })
  afterAll(async () => {
    await h.close()
  })

  it('finds the routes DESIGN.md §3 lists (so the loop below is not vacuous)', () => {
    const keys = routes.map(([m, p]) => `${m} ${p}`)
    for (const k of ['GET /api/v1/settings/email', 'PUT /api/v1/settings/email', 'POST /api/v1/settings/email/test', 'GET /api/v1/users', 'POST /api/v1/users', 'PATCH /api/v1/users/1', 'DELETE /api/v1/users/1', 'POST /api/v1/events', 'POST /api/v1/integrations/alertmanager', 'GET /api/v1/deliveries', 'GET /api/v1/deliveries/1']) {
      expect(keys).toContain(k)
    }
    console.log(`access: ${routes.length} /api routes checked`)
  })

  it('refuses a missing, malformed, wrong or revoked token on every route (401 problem+json)', async () => {
    const bad: (string | null)[] = [null, `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), 'Basic YWRtaW46YWRtaW4=', '', ' ', revokedToken, `${eventsToken}\u0000`, 'null', 'undefined']
    for (const [method, url] of routes) {
      for (const token of bad) {
        const res = await h.am.app.inject({
          method: method as 'GET',
          url,
          headers: token === null ? {} : { authorization: token.startsWith('Basic') ? token : `Bearer ${token}` },
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
        })
        expect(res.statusCode, `${method} ${url} with ${JSON.stringify(token)}`).toBe(401)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(res.body).not.toContain(ADMIN_TOKEN)
      }
    }
  })

  it('an events-only token may only POST events and Alertmanager webhooks (403 elsewhere)', async () => {
    for (const [method, url] of routes) {
      const r = await h.request(method, url, method === 'GET' || method === 'DELETE' ? undefined : {}, eventsToken)
      if (PRODUCER_ROUTES.has(`${method} ${url}`)) expect([400, 202], `${method} ${url}: ${r.body}`).toContain(r.status)
      else {
        expect(r.status, `${method} ${url}`).toBe(403)
        expect(r.json.code).toBe('ERR_AUTH_FORBIDDEN')
      }
    }
  })

  it('the admin token passes authentication on every route', async () => {
    for (const [method, url] of routes) {
      const r = await h.request(method, url, method === 'GET' || method === 'DELETE' ? undefined : {})
      expect([401, 403], `${method} ${url}`).not.toContain(r.status)
    }
  })

  it('sends no CORS headers, not even to a preflight or a foreign Origin', async () => {
    for (const [method, url] of [['OPTIONS', '/api/v1/events'], ['GET', '/api/v1/users'], ['GET', '/'], ['POST', '/api/v1/events']] as const) {
      const res = await h.am.app.inject({
        method,
        url,
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', authorization: `Bearer ${ADMIN_TOKEN}` },
      })
      for (const name of Object.keys(res.headers)) expect(name.toLowerCase(), `${method} ${url}`).not.toMatch(/^access-control-/)
    }
  })

  it('serves the UI with a CSP without inline script, frame-ancestors none, nosniff, and no-store on /api', async () => {
    for (const url of ['/', '/settings/email', '/docs', '/api/v1/users', '/no-such-page']) {
      const res = await h.am.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      const csp = String(res.headers['content-security-policy'] ?? '')
      expect(csp, url).toMatch(/frame-ancestors 'none'/)
      const script = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)?.[1] ?? ''
      expect(script, url).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*/)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      if (url.startsWith('/api/')) expect(res.headers['cache-control']).toBe('no-store')
    }
    const ui = await h.am.app.inject({ method: 'GET', url: '/' })
    expect(ui.statusCode).toBe(200)
    expect(ui.headers['content-type']).toMatch(/text\/html/)
  })

  it('the built admin UI has no inline script the CSP would block (when web/dist exists)', () => {
    const index = join(import.meta.dirname, '..', '..', 'web', 'dist', 'index.html')
    if (!existsSync(index)) return
    const html = readFileSync(index, 'utf8')
    const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].filter(([, attrs, body]) => !/\bsrc=/.test(attrs ?? '') && (body ?? '').trim() !== '')
    expect(inline.map((m) => m[0].slice(0, 80))).toEqual([])
    expect(html).not.toMatch(/\son[a-z]+="/i)
  })
})

describe('failed authentication is rate-limited per address', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ limiter: new FailureLimiter({ maxFailures: 5, windowMs: 60_000 }) })
  })
  afterAll(async () => {
    await h.close()
  })

  it('after 5 wrong tokens the address gets 429 with Retry-After, even with the right token; other addresses are unaffected', async () => {
    const from = (ip: string, token: string) => h.am.app.inject({ method: 'GET', url: '/api/v1/users', remoteAddress: ip, headers: { authorization: `Bearer ${token}` } })
    for (let i = 0; i < 5; i++) expect((await from('192.0.2.66', `guess-${i}`)).statusCode).toBe(401)
    const blocked = await from('192.0.2.66', ADMIN_TOKEN)
    expect(blocked.statusCode).toBe(429)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/)
    const events = await h.am.app.inject({ method: 'POST', url: '/api/v1/events', remoteAddress: '192.0.2.66', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { severity: 'info', title: 't' } })
    expect(events.statusCode).toBe(429)
    expect((await from('192.0.2.77', ADMIN_TOKEN)).statusCode).toBe(200)
  })
})

describe('files in the data dir', () => {
  const parent = mkdtempSync(join(tmpdir(), 'alertmail-perm-'))
  afterAll(() => {
    rmSync(parent, { recursive: true, force: true })
  })

  it('creates the data dir 0700 and the key and admin-token files 0600, whatever the umask', async () => {
    const dataDir = join(parent, 'nested', 'data')
    mkdirSync(parent, { recursive: true })
    const old = process.umask(0o000)
    let am: Awaited<ReturnType<typeof createAlertmail>> | undefined
    try {
      am = await createAlertmail(
        { ...configFromEnv({}), dataDir, port: 0, adminToken: undefined, webRoot: join(parent, 'no-ui') },
        { logger: createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() })), background: false, print: () => {} },
      )
      await am.app.ready()
      // Seal something so the key file certainly exists.
      const put = await am.app.inject({ method: 'PUT', url: '/api/v1/settings/email', headers: { authorization: `Bearer ${am.adminToken}` }, payload: { password: 'seal-me-123', version: 0 } })
      expect(put.statusCode, put.body).toBe(200)
    } finally {
      process.umask(old)
      await am?.stop()
    }
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(statSync(join(dataDir, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600)
  })
})
