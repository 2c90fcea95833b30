import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './harness.js'

describe('users API', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h.close()
  })

  it('creates, reads, lists, changes and deletes a user', async () => {
    const created = await h.request('POST', '/api/v1/users', {
      name: 'Ana On-Call',
      email: 'ana@example.com',
      enabled: true,
      severities: ['critical', 'high'],
      quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' },
    })
    expect(created.status, created.body).toBe(201)
    expect(created.headers['location']).toBe(`/api/v1/users/${created.json.id}`)
    const id = created.json.id as string
    expect((await h.request('GET', `/api/v1/users/${id}`)).json).toMatchObject({ name: 'Ana On-Call', severities: ['critical', 'high'] })
    expect((await h.request('GET', '/api/v1/users')).json.items).toHaveLength(1)

    const patched = await h.request('PATCH', `/api/v1/users/${id}`, { severities: ['critical'], quietHours: null })
    expect(patched.status, patched.body).toBe(200)
    expect(patched.json.severities).toEqual(['critical'])
    expect(patched.json.quietHours).toBeUndefined()

    expect((await h.request('DELETE', `/api/v1/users/${id}`)).status).toBe(204)
    expect((await h.request('GET', `/api/v1/users/${id}`)).status).toBe(404)
    expect((await h.request('DELETE', `/api/v1/users/${id}`)).status).toBe(404)
  })

  it('refuses a second user with the same address (ignoring case) with 409', async () => {
    const a = await h.request('POST', '/api/v1/users', { name: 'Bo', email: 'bo@example.com', enabled: true, severities: ['info'] })
    expect(a.status).toBe(201)
    const b = await h.request('POST', '/api/v1/users', { name: 'Bo 2', email: 'BO@example.com', enabled: true, severities: ['info'] })
    expect(b.status).toBe(409)
    expect(b.json).toMatchObject({ code: 'ERR_USER_EMAIL_TAKEN', errors: [{ field: 'email' }] })
    const c = await h.request('POST', '/api/v1/users', { name: 'Cy', email: 'cy@example.com', enabled: true, severities: ['info'] })
    const clash = await h.request('PATCH', `/api/v1/users/${c.json.id}`, { email: 'bo@example.com' })
    expect(clash.status).toBe(409)
  })

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a malformed address', { email: 'not-an-address' }, 'email'],
    ['CRLF in the address', { email: 'a@example.com\r\nBcc: x@example.com' }, 'email'],
    ['an unknown severity', { severities: ['urgent'] }, 'severities.0'],
    ['an unknown key', { phone: '123' }, 'phone'],
    ['a wrong type', { enabled: 'yes' }, 'enabled'],
    ['an unknown time zone', { quietHours: { start: '22:00', end: '06:00', timeZone: 'Mars/Olympus' } }, 'quietHours.timeZone'],
    ['a bad quiet-hours time', { quietHours: { start: '25:00', end: '06:00', timeZone: 'UTC' } }, 'quietHours.start'],
    ['an oversized name', { name: 'n'.repeat(500) }, 'name'],
  ]
  for (const [what, patch, field] of invalid) {
    it(`names the field for ${what}`, async () => {
      const r = await h.request('POST', '/api/v1/users', { name: 'X', email: 'x@example.com', enabled: true, severities: ['info'], ...patch })
      expect(r.status, r.body).toBe(400)
      expect(r.json.code).toBe('ERR_VALIDATION')
      expect(r.json.errors.map((e: { field: string }) => e.field)).toContain(field)
    })
  }

  it('audits user changes', async () => {
    const r = await h.request('GET', '/api/v1/audit?limit=100')
    const actions = (r.json.items as { action: string }[]).map((e) => e.action.split(':')[0])
    expect(actions).toEqual(expect.arrayContaining(['user.create', 'user.update', 'user.delete']))
  })
})
