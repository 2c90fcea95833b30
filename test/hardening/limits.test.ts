/**
 * Limits (issue 6 §6): oversized or too-many inputs get a clear problem+json (413/400) naming
 * the limit, rather than unbounded growth. The queue-depth limit (503 ERR_QUEUE_FULL while a
 * backlog is at ALERTMAIL_MAX_PENDING_EVENTS / ALERTMAIL_MAX_QUEUED_DELIVERIES) is exercised with
 * small caps in test/http/backlog.test.ts; here the defaults must let a storm's burst through.
 * There is no intake rate limit: the backlog caps bound what a storm can pile up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EVENT_LIMITS, TEMPLATE_LIMITS } from '../../src/notify/index.js'
import { startHarness, type Harness } from '../http/harness.js'

function expectProblem(r: { status: number; headers: Record<string, unknown>; json: { status?: number; title?: string } }, status: number): void {
  expect(r.status).toBe(status)
  expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/)
  expect(r.json?.status).toBe(status)
}

describe('request and content limits', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h.close()
  })

  it('a users/tokens body over 256 KB and a settings body over 1 MB are refused with 413 before they are parsed', async () => {
    const big = 'x'.repeat(300 * 1024)
    expectProblem(await h.request('PUT', '/api/v1/settings/email', { fromName: 'x'.repeat(1100 * 1024), version: 0 }), 413)
    expectProblem(await h.request('POST', '/api/v1/settings/email/test', { to: 'a@b.test', settings: { fromName: 'x'.repeat(1100 * 1024) } }), 413)
    expectProblem(await h.request('POST', '/api/v1/users', { name: big, email: 'a@b.test', enabled: true, severities: ['critical'] }), 413)
    expectProblem(await h.request('POST', '/api/v1/tokens', { name: big }), 413)
  })

  it('an events body over 8 MB is refused with 413', async () => {
    const event = { severity: 'info', title: 't', message: 'm'.repeat(9000) }
    const body = JSON.stringify(Array.from({ length: 1000 }, () => event))
    expect(body.length).toBeGreaterThan(8 * 1024 * 1024)
    expectProblem(await h.request('POST', '/api/v1/events', body), 413)
    expectProblem(await h.request('POST', '/api/v1/integrations/alertmanager', body), 413)
  })

  it(`a batch of ${EVENT_LIMITS.batch + 1} events is refused with 400 naming the limit; ${EVENT_LIMITS.batch} are accepted`, async () => {
    const many = Array.from({ length: EVENT_LIMITS.batch + 1 }, (_, i) => ({ severity: 'info', title: `t${i}` }))
    const r = await h.request('POST', '/api/v1/events', many)
    expectProblem(r, 400)
    expect(r.body).toMatch(new RegExp(`${EVENT_LIMITS.batch}|1,000`))
    const ok = await h.request('POST', '/api/v1/events', many.slice(0, EVENT_LIMITS.batch))
    expect(ok.status).toBe(202)
    expect(ok.json.ids).toHaveLength(EVENT_LIMITS.batch)
  })

  it('over-long event fields and too many labels are refused with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ severity: 'info', title: 't'.repeat(EVENT_LIMITS.title + 1) }, 'title'],
      [{ severity: 'info', title: 't', message: 'm'.repeat(EVENT_LIMITS.message + 1) }, 'message'],
      [{ severity: 'info', title: 't', source: 's'.repeat(EVENT_LIMITS.source + 1) }, 'source'],
      [{ severity: 'info', title: 't', labels: Object.fromEntries(Array.from({ length: EVENT_LIMITS.labels + 1 }, (_, i) => [`l${i}`, 'v'])) }, 'labels'],
      [{ severity: 'info', title: 't', labels: { big: 'v'.repeat(EVENT_LIMITS.labelValue + 1) } }, 'labels.big'],
    ]
    for (const [event, field] of cases) {
      const r = await h.request('POST', '/api/v1/events', event)
      expectProblem(r, 400)
      expect(JSON.stringify(r.json.errors), field).toContain(field)
    }
  })

  it('templates over their size limit are refused with 400 naming the template', async () => {
    for (const [field, max] of [['subject', TEMPLATE_LIMITS.subject], ['text', TEMPLATE_LIMITS.text]] as const) {
      const r = await h.request('PUT', '/api/v1/settings/email', { templates: { subject: '', text: '', html: '', [field]: 'x'.repeat(max + 1) }, version: 0 })
      expectProblem(r, 400)
      expect(JSON.stringify(r.json), field).toContain(`templates.${field}`)
    }
    // html's limit (256 Ki characters) is at the body limit: it is refused either way, never stored.
    const html = await h.request('PUT', '/api/v1/settings/email', { templates: { subject: '', text: '', html: 'x'.repeat(TEMPLATE_LIMITS.html + 1) }, version: 0 })
    expect([400, 413]).toContain(html.status)
    expect((await h.request('GET', '/api/v1/settings/email')).json.templates?.html ?? '').toBe('')
  })

  it('a template that would loop or render huge output is refused or bounded', async () => {
    const loop = await h.request('POST', '/api/v1/templates/preview', {
      templates: { subject: '{% for i in (1..100000000) %}x{% endfor %}', text: '', html: '' },
    })
    expect([200, 400], loop.body.slice(0, 300)).toContain(loop.status)
    if (loop.status === 200) expect(loop.body.length).toBeLessThan(1024 * 1024)
  }, 60_000)

  it('Send Test Mail takes exactly one recipient: a list or extra addresses are refused with 400', async () => {
    for (const to of ['a@x.test,b@x.test', 'a@x.test b@x.test', 'a@x.test;b@x.test', 'A <a@x.test>', `${'a'.repeat(300)}@x.test`]) {
      const r = await h.request('POST', '/api/v1/settings/email/test', { to })
      expectProblem(r, 400)
    }
  })

  it('queue depth: under the default caps a burst of 10,000 events is accepted whole, stays on disk, the heap stays bounded and /api/v1/health reports the backlog', async () => {
    // The pending-events cap is generous on purpose (the grouper folds a storm into a few mails):
    // a 10,000-event burst with nothing folded yet is far below it and must not be refused.
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const before = process.memoryUsage().heapUsed
    let peak = before
    for (let b = 0; b < 10; b++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ({ severity: 'low', title: `burst ${b}-${i}`, source: `edge-${i % 50}`, dedupKey: `burst-${b}-${i}` }))
      const r = await h.request('POST', '/api/v1/events', batch)
      expect(r.status).toBe(202)
      peak = Math.max(peak, process.memoryUsage().heapUsed)
    }
    expect(peak - before, 'heap growth for a 10,000-event backlog').toBeLessThan(256 * 1024 * 1024)
    const pending = await h.am.store.listPendingGroups({ limit: 100_000 })
    expect(pending.reduce((n, g) => n + g.count, 0)).toBeGreaterThanOrEqual(10_000)
    const health = await h.request('GET', '/api/v1/health')
    expect(health.status).toBe(200)
    expect(health.json.intake).toMatchObject({ accepting: true, limits: { pendingEvents: 1_000_000, queuedDeliveries: 100_000 } })
    expect(health.json.intake.counts.pendingEvents).toBeGreaterThanOrEqual(10_000)
    expect(health.json.reasons.join(' ')).not.toMatch(/refused/)
  }, 120_000)
})
