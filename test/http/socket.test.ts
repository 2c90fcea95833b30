import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startHarness, type Harness } from './harness.js'

describe('over a real socket', () => {
  let h: Harness
  let base = ''
  let uiDir = ''
  beforeAll(async () => {
    // A stand-in for web/dist, so the static UI and its SPA fallback are exercised.
    uiDir = mkdtempSync(join(tmpdir(), 'alertmail-ui-'))
    const ui = uiDir
    mkdirSync(join(ui, 'assets'), { recursive: true })
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>alertmail</title><script type="module" src="/assets/app.js"></script>')
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log("ui")')
    h = await startHarness({ webRoot: ui })
    base = await h.am.start()
  })
  afterAll(async () => {
    await h.close()
    rmSync(uiDir, { recursive: true, force: true })
  })

  it('listens on an ephemeral loopback port and answers the API with a bearer token', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${base}/api/v1/settings/email`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(((await res.json()) as { version: number }).version).toBe(0)
    expect((await fetch(`${base}/api/v1/settings/email`)).status).toBe(401)
  })

  it('serves the UI at /, its assets, and index.html for client-side routes', async () => {
    const root = await fetch(`${base}/`)
    expect(root.status).toBe(200)
    expect(await root.text()).toContain('<title>alertmail</title>')
    expect(root.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(await (await fetch(`${base}/assets/app.js`)).text()).toContain('console.log')
    const deep = await fetch(`${base}/settings/email`)
    expect(deep.status).toBe(200)
    expect(deep.headers.get('content-type')).toMatch(/text\/html/)
    const api404 = await fetch(`${base}/api/v1/nope`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(api404.status).toBe(404)
    expect(api404.headers.get('content-type')).toMatch(/application\/problem\+json/)
  })

  it('publishes OpenAPI with the routes and the settings schema', async () => {
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toMatch(/^3\./)
    for (const path of ['/api/v1/settings/email', '/api/v1/settings/email/test', '/api/v1/users/{id}', '/api/v1/events', '/api/v1/deliveries', '/healthz']) {
      expect(Object.keys(doc.paths)).toContain(path)
    }
    const ui = await fetch(`${base}/docs`, { redirect: 'follow' })
    expect(ui.status).toBe(200)
    expect(await ui.text()).not.toMatch(/<script>(?!\s*<\/script>)/)
  })
})

describe('probes', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h.close().catch(() => {})
  })

  it('/healthz is up and /readyz turns 503 when the database is unreachable', async () => {
    expect((await h.request('GET', '/healthz', undefined, null)).json).toEqual({ status: 'ok' })
    expect((await h.request('GET', '/readyz', undefined, null)).status).toBe(200)
    await h.am.store.close()
    const r = await h.request('GET', '/readyz', undefined, null)
    expect(r.status).toBe(503)
    expect(r.json.code).toBe('ERR_NOT_READY')
  })
})
