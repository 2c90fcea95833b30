import { describe, expect, test } from 'vitest'
import { settings, user } from '../../test/notify/fixtures.js'
import { quietUntil, route, userTimeZone } from './routing.js'

const now = new Date('2026-11-27T23:30:00Z') // 00:30 in Berlin (CET, UTC+1)
const night = { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' }

describe('route', () => {
  const alice = user({ email: 'alice@example.com', severities: ['critical', 'high'] })
  const bob = user({ email: 'bob@example.com', severities: ['info'] })
  const off = user({ email: 'off@example.com', severities: ['critical'], enabled: false })

  test('every enabled user subscribed to the severity, nobody else', () => {
    expect(route('critical', [alice, bob, off], settings(), now).users.map((r) => r.email)).toEqual(['alice@example.com'])
    expect(route('info', [alice, bob, off], settings(), now).users.map((r) => r.email)).toEqual(['bob@example.com'])
    expect(route('medium', [alice, bob, off], settings(), now).users).toEqual([])
  })

  test('support copy only for critical with technicalSupport on', () => {
    const s = settings({ technicalSupport: true, supportAddress: 'support@vendor.example' })
    expect(route('critical', [alice], s, now).support).toMatchObject({ email: 'support@vendor.example', userId: null, state: 'queued' })
    expect(route('high', [alice], s, now).support).toBeNull()
    expect(route('critical', [alice], settings({ supportAddress: 'support@vendor.example' }), now).support).toBeNull()
  })

  test('notifications disabled ⇒ suppressed deliveries, support copy included', () => {
    const r = route('critical', [alice], settings({ enabled: false, technicalSupport: true, supportAddress: 's@v.example' }), now)
    expect(r.users.map((u) => u.state)).toEqual(['suppressed'])
    expect(r.support?.state).toBe('suppressed')
  })

  test('quiet hours hold everything but critical until they end', () => {
    const sleeper = user({ email: 'sleeper@example.com', severities: ['critical', 'high'], quietHours: night })
    expect(route('high', [sleeper], settings(), now).users[0]?.nextAttemptAt.toISOString()).toBe('2026-11-28T06:00:00.000Z')
    expect(route('critical', [sleeper], settings(), now).users[0]?.nextAttemptAt).toEqual(now)
    expect(route('high', [sleeper], settings(), new Date('2026-11-28T12:00:00Z')).users[0]?.nextAttemptAt.toISOString()).toBe('2026-11-28T12:00:00.000Z')
  })
})

describe('quietUntil', () => {
  test('wrapping midnight, before and after it', () => {
    expect(quietUntil(night, new Date('2026-11-27T21:15:30Z'))?.toISOString()).toBe('2026-11-28T06:00:00.000Z')
    expect(quietUntil(night, new Date('2026-11-28T05:59:00Z'))?.toISOString()).toBe('2026-11-28T06:00:00.000Z')
    expect(quietUntil(night, new Date('2026-11-28T06:00:00Z'))).toBeNull()
    expect(quietUntil(night, new Date('2026-11-27T20:59:59Z'))).toBeNull()
  })

  test('same-day hours', () => {
    const lunch = { start: '12:00', end: '13:30', timeZone: 'UTC' }
    expect(quietUntil(lunch, new Date('2026-11-27T12:10:00Z'))?.toISOString()).toBe('2026-11-27T13:30:00.000Z')
    expect(quietUntil(lunch, new Date('2026-11-27T13:30:00Z'))).toBeNull()
  })

  test('across a DST change the end is still the local wall-clock time', () => {
    // Europe/Berlin leaves summer time on 2026-10-25 at 03:00 CEST → 02:00 CET.
    const h = { start: '01:00', end: '07:00', timeZone: 'Europe/Berlin' }
    expect(quietUntil(h, new Date('2026-10-24T23:30:00Z'))?.toISOString()).toBe('2026-10-25T06:00:00.000Z')
  })

  test('malformed hours or zones hold nothing', () => {
    expect(quietUntil({ start: '25:00', end: '07:00', timeZone: 'UTC' }, now)).toBeNull()
    expect(quietUntil({ start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' }, now)).toBeNull()
    expect(quietUntil({ start: '07:00', end: '07:00', timeZone: 'UTC' }, now)).toBeNull()
  })

  test('userTimeZone falls back to UTC', () => {
    expect(userTimeZone({ quietHours: night })).toBe('Europe/Berlin')
    expect(userTimeZone({})).toBe('UTC')
    expect(userTimeZone({ timeZone: 'Asia/Tokyo', quietHours: night })).toBe('Asia/Tokyo')
  })
})
