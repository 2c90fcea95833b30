/**
 * The notification policy half of the Store contract (app_setting, migration 0003), run against
 * every adapter by contract.ts.
 */
import { describe, expect, it } from 'vitest'
import type { AlertmailStore } from '../../src/store/index.js'

export function describePolicyStore(get: () => { store: AlertmailStore; openAnother(): Promise<AlertmailStore> }): void {
  describe('notification policy', () => {
    it('is undefined before the first save, and does not touch the e-mail settings row', async () => {
      const { store } = get()
      expect(await store.getNotificationPolicy()).toBeUndefined()
      await store.saveNotificationPolicy({ high: { groupWaitMs: 0 } }, 0)
      expect(await store.getSettings()).toBeUndefined()
    })

    it('saves version 1 from 0, then bumps the version on each compare-and-swap, keeping the JSON as given', async () => {
      const { store } = get()
      const before = Date.now()
      const first = await store.saveNotificationPolicy({ critical: { groupWaitMs: 0, repeatIntervalMs: 3_600_000 } }, 0)
      expect(first).toMatchObject({ ok: true, record: { version: 1, policy: { critical: { groupWaitMs: 0, repeatIntervalMs: 3_600_000 } } } })
      if (!first.ok) return
      expect(first.record.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000)
      const nested = { low: { groupWaitMs: 60_000, labels: ['a', 'ü'], note: null } }
      const second = await store.saveNotificationPolicy(nested, 1)
      expect(second.ok && second.record.version).toBe(2)
      const got = await store.getNotificationPolicy()
      expect(got?.version).toBe(2)
      expect(got?.policy).toEqual(nested)
    })

    it('refuses a stale version with a conflict carrying the current record', async () => {
      const { store } = get()
      await store.saveNotificationPolicy({ n: 1 }, 0)
      await store.saveNotificationPolicy({ n: 2 }, 1)
      const stale = await store.saveNotificationPolicy({ n: 3 }, 1)
      expect(stale).toMatchObject({ ok: false, conflict: true, current: { version: 2, policy: { n: 2 } } })
      expect((await store.saveNotificationPolicy({ n: 3 }, 0)).ok).toBe(false)
      expect((await store.saveNotificationPolicy({ n: 3 }, 7)).ok).toBe(false)
      expect(await store.getNotificationPolicy()).toMatchObject({ version: 2, policy: { n: 2 } })
    })

    it('reports a conflict with no current record when the expected version does not exist yet', async () => {
      const { store } = get()
      expect(await store.saveNotificationPolicy({}, 3)).toEqual({ ok: false, conflict: true, current: undefined })
      expect(await store.getNotificationPolicy()).toBeUndefined()
    })

    it('is shared with another connection, and exactly one of two concurrent saves from the same version wins', async () => {
      const { store } = get()
      const other = await get().openAnother()
      try {
        const firsts = await Promise.all([store.saveNotificationPolicy({ by: 'a' }, 0), other.saveNotificationPolicy({ by: 'b' }, 0)])
        expect(firsts.filter((r) => r.ok)).toHaveLength(1)
        const winner = firsts.find((r) => r.ok)
        expect(await other.getNotificationPolicy()).toMatchObject({ version: 1, policy: winner?.ok ? winner.record.policy : undefined })
        const seconds = await Promise.all([store.saveNotificationPolicy({ n: 1 }, 1), other.saveNotificationPolicy({ n: 2 }, 1)])
        expect(seconds.filter((r) => r.ok)).toHaveLength(1)
        const loser = seconds.find((r) => !r.ok)
        expect(loser).toMatchObject({ ok: false, current: { version: 2 } })
        expect((await store.getNotificationPolicy())?.version).toBe(2)
      } finally {
        await other.close()
      }
    })
  })
}
