import { Value } from '@sinclair/typebox/value'
import { describe, expect, test } from 'vitest'
import { DEFAULT_NOTIFICATION_POLICY, NotificationPolicy, validateNotificationPolicy } from './policy.js'

describe('NotificationPolicy', () => {
  test('defaults satisfy the schema and make critical immediate', () => {
    expect(Value.Check(NotificationPolicy, DEFAULT_NOTIFICATION_POLICY)).toBe(true)
    expect(DEFAULT_NOTIFICATION_POLICY.critical.groupWaitMs).toBe(0)
    for (const s of ['high', 'medium', 'low', 'info'] as const) expect(DEFAULT_NOTIFICATION_POLICY[s].groupWaitMs).toBeGreaterThan(0)
  })

  test('a partial policy is completed from the defaults', () => {
    const r = validateNotificationPolicy({ high: { groupWaitMs: 0 } })
    expect(r.ok && r.value.high).toEqual({ ...DEFAULT_NOTIFICATION_POLICY.high, groupWaitMs: 0 })
    expect(r.ok && r.value.critical).toEqual(DEFAULT_NOTIFICATION_POLICY.critical)
    expect(validateNotificationPolicy(undefined)).toEqual({ ok: true, value: DEFAULT_NOTIFICATION_POLICY })
  })

  test('errors name the field', () => {
    const r = validateNotificationPolicy({ high: { groupIntervalMs: 10, nope: 1 }, urgent: {}, digestTopItems: 0 })
    expect(r.ok ? [] : r.errors.map((e) => e.field).sort()).toEqual(['digestTopItems', 'high.groupIntervalMs', 'high.nope', 'urgent'])
  })
})
