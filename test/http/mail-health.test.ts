import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { observeAttempts } from '../../src/http/metrics.js'
import { startHarness, type Harness } from './harness.js'

describe('mail health banner and send metrics', () => {
  let h: Harness
  let clock = new Date()
  beforeAll(async () => {
    h = await startHarness({ now: () => clock })
    const put = await h.request('PUT', '/api/v1/settings/email', { enabled: true, host: 'smtp.example.com', fromAddress: 'alerts@example.com', version: 0 })
    expect(put.status).toBe(200)
  })
  afterAll(async () => {
    await h.close()
  })

  const attempt = async (outcome: 'sent' | 'transient', code: number) => {
    const store = observeAttempts(h.am.store, h.am.metrics, h.am.mailHealth)
    const claimed = await store.claimDue({ owner: 'w', now: clock, leaseMs: 60_000, limit: 10 })
    expect(claimed.length).toBeGreaterThan(0)
    await store.completeAttempts(
      claimed.map((d) => ({
        deliveryId: d.id,
        owner: 'w',
        attempt: { startedAt: clock, ms: 120, outcome, code, reply: `${code} test`, transcript: [] },
        next: outcome === 'sent' ? { state: 'sent' } : { state: 'retrying', nextAttemptAt: clock },
      })),
      clock,
    )
  }

  it('is ok, turns degraded after failing for five minutes, and recovers on a success', async () => {
    expect((await h.request('GET', '/api/v1/health')).json.status).toBe('ok')
    await h.am.store.enqueue({ kind: 'alert', severity: 'critical', groupKey: 'g', eventCount: 1, createdAt: clock }, [
      { recipient: 'a@example.com', messageId: '<h@test>', subject: 's', text: 't' },
    ])
    await attempt('transient', 451)
    const early = await h.request('GET', '/api/v1/health')
    expect(early.json).toMatchObject({ status: 'ok', lastError: { code: '451' } })

    clock = new Date(clock.getTime() + 6 * 60_000)
    const late = await h.request('GET', '/api/v1/health')
    expect(late.json.status).toBe('degraded')
    expect(late.json.reasons.join(' ')).toMatch(/failing for 6 minutes/)

    await attempt('sent', 250)
    const recovered = await h.request('GET', '/api/v1/health')
    expect(recovered.json).toMatchObject({ status: 'ok', reasons: [], queueDepth: 0 })
  })

  it('exports the send latency histogram and SMTP errors by code', async () => {
    const r = await h.request('GET', '/metrics', undefined, null)
    expect(r.body).toMatch(/alertmail_smtp_errors_total\{code="451"\} 1/)
    expect(r.body).toMatch(/alertmail_send_duration_seconds_count\{outcome="sent"\} 1/)
    expect(r.body).toMatch(/alertmail_send_duration_seconds_count\{outcome="transient"\} 1/)
    expect(r.body).toMatch(/alertmail_deliveries\{state="sent"\} 1/)
  })
})
