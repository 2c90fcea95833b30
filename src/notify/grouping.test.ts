import { describe, expect, test } from 'vitest'
import { decideGroup, finalKind, groupKeyOf, nextGroupState, parseGroupKey } from './grouping.js'
import type { GroupState, PendingGroup } from './port.js'
import type { SeverityPolicy } from './policy.js'

const policy: SeverityPolicy = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000, dedupWindowMs: 7_200_000 }
const t0 = Date.UTC(2026, 10, 27, 20, 0, 0)
const at = (ms: number) => new Date(t0 + ms)

const sourceKey = groupKeyOf({ severity: 'high', dedupKey: null, source: 'edge-3', category: 'ddos' })
const dedupKey = groupKeyOf({ severity: 'high', dedupKey: 'fp1', source: 'edge-3', category: null })

function pending(groupKey: string, over: Partial<PendingGroup> = {}): PendingGroup {
  return { groupKey, severity: 'high', count: 1, resolvedCount: 0, firstReceivedAt: at(0), lastReceivedAt: at(0), maxSeq: 1, state: null, ...over }
}

function state(over: Partial<GroupState>): GroupState {
  return { groupKey: '', version: 1, openedAt: at(0), lastSentAt: at(0), lastCount: 1, lastEventAt: at(0), totalCount: 1, lastStatus: 'firing', ...over }
}

describe('group keys', () => {
  test('round-trip whatever the parts contain', () => {
    const key = groupKeyOf({ severity: 'low', dedupKey: null, source: 'a|b"c', category: null })
    expect(parseGroupKey(key)).toEqual({ kind: 'source', severity: 'low', source: 'a|b"c', category: null })
    expect(parseGroupKey(dedupKey)).toEqual({ kind: 'dedup', severity: 'high', dedupKey: 'fp1' })
    expect(groupKeyOf({ severity: 'critical', dedupKey: null, source: 'edge-3', category: 'ddos' })).not.toBe(sourceKey)
  })
})

describe('source groups', () => {
  test('a new group waits groupWaitMs, then sends an alert', () => {
    expect(decideGroup(pending(sourceKey), policy, at(29_999))).toEqual({ due: false, dueAt: at(30_000) })
    expect(decideGroup(pending(sourceKey), policy, at(30_000))).toEqual({ due: true, kind: 'alert', newEpisode: true })
  })

  test('events soon after a mail wait for the interval and become a digest', () => {
    const g = pending(sourceKey, { firstReceivedAt: at(60_000), state: state({ lastSentAt: at(30_000) }) })
    expect(decideGroup(g, policy, at(200_000))).toEqual({ due: false, dueAt: at(330_000) })
    expect(decideGroup(g, policy, at(330_000))).toEqual({ due: true, kind: 'digest', newEpisode: false })
  })

  test('a quiet group starts over with a fresh alert', () => {
    const g = pending(sourceKey, { firstReceivedAt: at(400_000), state: state({ lastSentAt: at(30_000) }) })
    expect(decideGroup(g, policy, at(430_000))).toEqual({ due: true, kind: 'alert', newEpisode: true })
  })

  test('critical with groupWaitMs 0 is due at once', () => {
    expect(decideGroup(pending(sourceKey), { ...policy, groupWaitMs: 0 }, at(0))).toMatchObject({ due: true, kind: 'alert' })
  })
})

describe('dedup groups', () => {
  test('repeats within the window are held until the repeat interval', () => {
    const g = pending(dedupKey, { firstReceivedAt: at(60_000), count: 7, state: state({ lastSentAt: at(0), lastEventAt: at(0) }) })
    expect(decideGroup(g, policy, at(120_000))).toEqual({ due: false, dueAt: at(3_600_000) })
    expect(decideGroup(g, policy, at(3_600_000))).toEqual({ due: true, kind: 'repeat', newEpisode: false })
  })

  test('a resolution skips the repeat interval', () => {
    const g = pending(dedupKey, { firstReceivedAt: at(60_000), resolvedCount: 1, state: state({}) })
    expect(decideGroup(g, policy, at(90_000))).toEqual({ due: true, kind: 'resolution', newEpisode: false })
  })

  test('after the window, or after a resolution, an occurrence is a new alert', () => {
    const late = pending(dedupKey, { firstReceivedAt: at(7_200_001), state: state({}) })
    expect(decideGroup(late, policy, at(7_230_001))).toEqual({ due: true, kind: 'alert', newEpisode: true })
    const again = pending(dedupKey, { firstReceivedAt: at(60_000), state: state({ lastStatus: 'resolved' }) })
    expect(decideGroup(again, policy, at(90_000))).toEqual({ due: true, kind: 'alert', newEpisode: true })
  })

  test('the newest event decides between alert and resolution', () => {
    expect(finalKind('alert', 'dedup', 'resolved')).toBe('resolution')
    expect(finalKind('resolution', 'dedup', 'firing')).toBe('alert')
    expect(finalKind('repeat', 'dedup', 'firing')).toBe('repeat')
    expect(finalKind('digest', 'source', 'resolved')).toBe('digest')
  })
})

test('nextGroupState counts the episode', () => {
  const g = pending(sourceKey, { count: 5, lastReceivedAt: at(50), state: state({ totalCount: 3 }) })
  expect(nextGroupState(g, false, 'firing', at(100))).toEqual({
    openedAt: at(0), lastSentAt: at(100), lastCount: 5, lastEventAt: at(50), totalCount: 8, lastStatus: 'firing',
  })
  expect(nextGroupState(g, true, 'firing', at(100))).toMatchObject({ openedAt: at(100), totalCount: 5 })
})
