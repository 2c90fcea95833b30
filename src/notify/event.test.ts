import { Value } from '@sinclair/typebox/value'
import { describe, expect, test } from 'vitest'
import { EVENT_LIMITS, EventInput, validateEvents } from './event.js'

const ok = { severity: 'critical', title: 'SYN flood on edge-3', source: 'edge-3' }

describe('validateEvents', () => {
  test('accepts one event and fills the optional fields', () => {
    const r = validateEvents(ok)
    expect(r).toEqual({
      ok: true,
      events: [
        { severity: 'critical', title: 'SYN flood on edge-3', message: null, source: 'edge-3', category: null, labels: {}, dedupKey: null, occurredAt: null, status: 'firing' },
      ],
    })
  })

  test('accepts an array and names the index of a bad severity', () => {
    const r = validateEvents([ok, ok, ok, { ...ok, severity: 'urgent' }])
    expect(r).toEqual({ ok: false, errors: [{ field: '[3].severity', message: 'must be one of critical, high, medium, low, info' }] })
  })

  test('refuses an empty array and more than 1,000 events', () => {
    expect(validateEvents([])).toMatchObject({ ok: false, errors: [{ field: '' }] })
    const r = validateEvents(Array.from({ length: EVENT_LIMITS.batch + 1 }, () => ok))
    expect(r.ok).toBe(false)
    expect(validateEvents(Array.from({ length: EVENT_LIMITS.batch }, () => ok)).ok).toBe(true)
  })

  test('names every problem of an event', () => {
    const r = validateEvents({ title: 'x'.repeat(501), labels: { a: 1 }, occurredAt: 'yesterday', status: 'open', extra: true })
    expect(r.ok).toBe(false)
    const fields = r.ok ? [] : r.errors.map((e) => e.field)
    expect(fields.sort()).toEqual(['extra', 'labels.a', 'occurredAt', 'severity', 'status', 'title'])
  })

  test('requires a non-empty title and refuses non-objects', () => {
    expect(validateEvents({ severity: 'info', title: '   ' })).toMatchObject({ ok: false, errors: [{ field: 'title', message: 'must not be empty' }] })
    expect(validateEvents('nope')).toMatchObject({ ok: false, errors: [{ field: '', message: 'must be an object' }] })
    expect(validateEvents([1])).toMatchObject({ ok: false, errors: [{ field: '[0]' }] })
  })

  test('limits labels to 64 entries', () => {
    const labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))
    expect(validateEvents({ ...ok, labels })).toMatchObject({ ok: false, errors: [{ field: 'labels' }] })
    const fine = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v']))
    expect(validateEvents({ ...ok, labels: fine }).ok).toBe(true)
  })

  test('parses occurredAt as RFC 3339 or epoch milliseconds', () => {
    const a = validateEvents({ ...ok, occurredAt: '2026-11-27T21:43:00+01:00' })
    const b = validateEvents({ ...ok, occurredAt: Date.UTC(2026, 10, 27, 20, 43) })
    expect(a.ok && a.events[0]?.occurredAt?.toISOString()).toBe('2026-11-27T20:43:00.000Z')
    expect(b.ok && b.events[0]?.occurredAt?.toISOString()).toBe('2026-11-27T20:43:00.000Z')
    expect(validateEvents({ ...ok, occurredAt: '2026-11-27 21:43' }).ok).toBe(false)
  })

  test('agrees with the TypeBox schema on valid and invalid samples', () => {
    const samples: unknown[] = [
      ok,
      { ...ok, status: 'resolved', dedupKey: 'k', labels: { a: 'b' }, message: 'm', category: 'c' },
      { ...ok, severity: 'urgent' },
      { ...ok, title: '' },
      { ...ok, unknown: 1 },
      { ...ok, labels: { a: 1 } },
      { ...ok, status: 'open' },
    ]
    for (const s of samples) expect(validateEvents(s).ok, JSON.stringify(s)).toBe(Value.Check(EventInput, s))
  })
})
