import { describe, expect, test } from 'vitest'
import { alertmanagerPayload } from '../../test/notify/fixtures.js'
import { fromAlertmanager, mapAlertmanagerSeverity } from './alertmanager.js'

describe('fromAlertmanager', () => {
  test('maps a firing alert to an event', () => {
    const r = fromAlertmanager(alertmanagerPayload('firing'))
    expect(r.ok).toBe(true)
    const e = r.ok ? r.events[0]! : undefined
    expect(e).toMatchObject({
      severity: 'critical',
      title: 'SYN rate above 1 Mpps on edge-3',
      source: 'edge-3:9100',
      category: 'HighSynRate',
      dedupKey: 'alertmanager:a1b2c3d4e5f60718',
      status: 'firing',
      labels: { alertname: 'HighSynRate', instance: 'edge-3:9100', job: 'node', severity: 'critical' },
    })
    expect(e?.occurredAt?.toISOString()).toBe('2026-11-27T21:40:00.000Z')
    expect(e?.message).toContain('Mitigation engaged.')
    expect(e?.message).toContain('Runbook: https://runbooks/syn')
  })

  test('a resolved alert keeps the dedupKey and takes endsAt', () => {
    const r = fromAlertmanager(alertmanagerPayload('resolved'))
    const e = r.ok ? r.events[0]! : undefined
    expect(e?.status).toBe('resolved')
    expect(e?.dedupKey).toBe('alertmanager:a1b2c3d4e5f60718')
    expect(e?.occurredAt?.toISOString()).toBe('2026-11-27T21:55:00.000Z')
  })

  test('maps the severity label', () => {
    expect(mapAlertmanagerSeverity('critical')).toBe('critical')
    expect(mapAlertmanagerSeverity('PAGE')).toBe('critical')
    expect(mapAlertmanagerSeverity('error')).toBe('critical')
    expect(mapAlertmanagerSeverity('warning')).toBe('medium')
    expect(mapAlertmanagerSeverity('major')).toBe('high')
    expect(mapAlertmanagerSeverity('info')).toBe('info')
    expect(mapAlertmanagerSeverity('whatever')).toBe('medium')
    expect(mapAlertmanagerSeverity(undefined)).toBe('medium')
  })

  test('falls back to alertname for the title and derives a fingerprint when absent', () => {
    const p = alertmanagerPayload('firing')
    const alert = { ...p.alerts[0]!, annotations: {}, fingerprint: undefined }
    const r = fromAlertmanager({ ...p, alerts: [alert, alert] })
    expect(r.ok && r.events[0]?.title).toBe('HighSynRate')
    expect(r.ok && r.events[0]?.dedupKey).toMatch(/^alertmanager:[0-9a-f]{16}$/)
    expect(r.ok && r.events[0]?.dedupKey).toBe(r.ok && r.events[1]?.dedupKey)
  })

  test('names the field of each problem', () => {
    const p = alertmanagerPayload('firing')
    const r = fromAlertmanager({ ...p, version: '3', alerts: [p.alerts[0], { ...p.alerts[0], status: 'open', labels: { a: 1 } }] })
    expect(r).toEqual({ ok: false, errors: [{ field: 'version', message: expect.stringContaining('"4"') }] })
    const r2 = fromAlertmanager({ ...p, alerts: [p.alerts[0], { ...p.alerts[0], status: 'open', labels: { a: 1 }, startsAt: 'soon' }] })
    expect(r2.ok ? [] : r2.errors.map((e) => e.field)).toEqual(['alerts[1].status', 'alerts[1].labels.a', 'alerts[1].startsAt'])
    expect(fromAlertmanager({ version: '4' })).toMatchObject({ ok: false, errors: [{ field: 'alerts' }] })
    expect(fromAlertmanager({ version: '4', alerts: [] })).toMatchObject({ ok: false, errors: [{ field: 'alerts' }] })
  })
})
