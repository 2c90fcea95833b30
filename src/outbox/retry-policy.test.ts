import { describe, expect, it } from 'vitest'
import { RetryPolicy } from './retry-policy.js'

const settings = { maxAttempts: 5, minDelayMs: 1_000, maxDelayMs: 10_000, factor: 2, jitter: 0.2, maxAgeMs: 60_000 }
const T0 = new Date('2026-01-01T00:00:00Z')

describe('RetryPolicy', () => {
  it('backs off exponentially up to maxDelayMs', () => {
    const p = new RetryPolicy(settings, { random: () => 0.5 })
    expect([1, 2, 3, 4, 5, 6].map((n) => p.baseDelayMs(n))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000])
    expect([1, 2, 3].map((n) => p.delayMs(n))).toEqual([1_000, 2_000, 4_000]) // random 0.5 = no spread
  })

  it('spreads delays by ±jitter', () => {
    expect(new RetryPolicy(settings, { random: () => 0 }).delayMs(2)).toBe(1_600)
    expect(new RetryPolicy(settings, { random: () => 0.999999 }).delayMs(2)).toBe(2_400)
    expect(new RetryPolicy({ ...settings, jitter: 0 }, { random: () => 0 }).delayMs(2)).toBe(2_000)
    // never above the ceiling even with jitter
    expect(new RetryPolicy(settings, { random: () => 0.999999 }).delayMs(9)).toBe(10_000)
  })

  it('schedules the next attempt from now', () => {
    const d = new RetryPolicy(settings, { random: () => 0.5 }).next({ attempts: 2, queuedAt: T0, now: new Date(T0.getTime() + 5_000) })
    expect(d).toEqual({ retry: true, delayMs: 2_000, at: new Date(T0.getTime() + 7_000) })
  })

  it('gives up after maxAttempts', () => {
    const d = new RetryPolicy(settings).next({ attempts: 5, queuedAt: T0, now: T0 })
    expect(d.retry).toBe(false)
    expect(!d.retry && d.reason).toMatch(/after 5 attempts \(maxAttempts 5\)/)
  })

  it('gives up when the next try would be past maxAgeMs', () => {
    const p = new RetryPolicy(settings, { random: () => 0.5 })
    expect(p.next({ attempts: 1, queuedAt: T0, now: new Date(T0.getTime() + 58_000) }).retry).toBe(true)
    const d = p.next({ attempts: 1, queuedAt: T0, now: new Date(T0.getTime() + 59_500) })
    expect(!d.retry && d.reason).toMatch(/maxAgeMs \(60000 ms\)/)
  })
})
