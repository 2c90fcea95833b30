import { describe, expect, it } from 'vitest'
import { RateLimiter } from './rate-limiter.js'

describe('RateLimiter', () => {
  it('allows a minute of budget, then refills continuously', () => {
    let now = 0
    const r = new RateLimiter(30, () => now)
    expect(r.available()).toBe(30)
    r.take(30)
    expect(r.available()).toBe(0)
    expect(r.msUntilNext()).toBe(2_000)
    now = 1_999
    expect(r.available()).toBe(0)
    now = 2_000
    expect(r.available()).toBe(1)
    now = 10 * 60_000
    expect(r.available()).toBe(30) // capped at one minute's budget
    r.take(2)
    r.refund(5)
    expect(r.available()).toBe(30)
  })

  it('is unlimited at 0', () => {
    const r = new RateLimiter(0, () => 0)
    expect(r.unlimited).toBe(true)
    expect(r.available()).toBe(Number.POSITIVE_INFINITY)
    r.take(1_000)
    expect(r.msUntilNext()).toBe(0)
  })
})
