/**
 * One spec for every Store adapter (kysely's DIALECTS loop): test/store/sqlite.test.ts and
 * test/store/postgres.test.ts call describeStore with their own `open`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Severity } from '../../src/outbox/index.js'
import type { AlertmailStore } from '../../src/store/index.js'
import { describeBacklog } from './backlog-contract.js'
import { describeNotifyStore } from './notify-contract.js'
import { describeOutbox } from './outbox-contract.js'
import { describePolicyStore } from './policy-contract.js'

export interface OpenedStore {
  readonly store: AlertmailStore
  /** A second, independent connection (pool/handle) to the same database. */
  openAnother(): Promise<AlertmailStore>
  cleanup(): Promise<void>
}

const T0 = new Date('2026-01-01T00:00:00Z')
const at = (ms: number) => new Date(T0.getTime() + ms)

export function describeStore(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${name}`, () => {
    let opened: OpenedStore
    let store: AlertmailStore
    beforeEach(async () => {
      opened = await open()
      store = opened.store
    })
    afterEach(async () => {
      await opened.cleanup()
    })

    describe('settings', () => {
      it('is undefined before the first save', async () => {
        expect(await store.getSettings()).toBeUndefined()
      })

      it('saves version 1 from 0, then bumps the version on each compare-and-swap', async () => {
        const first = await store.saveSettings({ settings: { host: 'smtp.example.test', port: 587 }, secrets: { password: 'sealed:abc' } }, 0)
        expect(first.ok).toBe(true)
        if (!first.ok) return
        expect(first.record.version).toBe(1)
        const second = await store.saveSettings({ settings: { host: 'relay.example.test', port: 465 }, secrets: {} }, 1)
        expect(second.ok && second.record.version).toBe(2)
        const got = await store.getSettings()
        expect(got?.version).toBe(2)
        expect(got?.settings).toEqual({ host: 'relay.example.test', port: 465 })
        expect(got?.secrets).toEqual({})
      })

      it('refuses a stale version with a conflict carrying the current record', async () => {
        await store.saveSettings({ settings: { host: 'a' }, secrets: { password: 'sealed:1' } }, 0)
        await store.saveSettings({ settings: { host: 'b' }, secrets: { password: 'sealed:2' } }, 1)
        const stale = await store.saveSettings({ settings: { host: 'c' }, secrets: {} }, 1)
        expect(stale).toMatchObject({ ok: false, conflict: true, current: { version: 2, settings: { host: 'b' }, secrets: { password: 'sealed:2' } } })
        const again = await store.saveSettings({ settings: { host: 'c' }, secrets: {} }, 0)
        expect(again.ok).toBe(false)
        expect((await store.getSettings())?.settings).toEqual({ host: 'b' })
      })

      it('reports a conflict with no current record when the expected version does not exist yet', async () => {
        expect(await store.saveSettings({ settings: {}, secrets: {} }, 3)).toEqual({ ok: false, conflict: true, current: undefined })
      })

      it('lets exactly one of two concurrent saves from the same version win', async () => {
        await store.saveSettings({ settings: { n: 0 }, secrets: {} }, 0)
        const other = await opened.openAnother()
        try {
          const results = await Promise.all([
            store.saveSettings({ settings: { n: 1 }, secrets: {} }, 1),
            other.saveSettings({ settings: { n: 2 }, secrets: {} }, 1),
          ])
          expect(results.filter((r) => r.ok)).toHaveLength(1)
          expect((await store.getSettings())?.version).toBe(2)
        } finally {
          await other.close()
        }
      })
    })

    describe('audit log', () => {
      it('lists entries newest first and pages with a cursor', async () => {
        for (let i = 0; i < 5; i++) {
          await store.appendAudit({ at: at(i * 1000), actor: 'admin', action: 'settings.update', fields: [`f${i}`, 'password'] })
        }
        const page1 = await store.listAudit({ limit: 2 })
        expect(page1.items.map((e) => e.fields[0])).toEqual(['f4', 'f3'])
        expect(page1.items[0]).toMatchObject({ actor: 'admin', action: 'settings.update', fields: ['f4', 'password'], at: at(4000) })
        expect(page1.nextCursor).toBeDefined()
        const page2 = await store.listAudit({ limit: 2, cursor: page1.nextCursor! })
        expect(page2.items.map((e) => e.fields[0])).toEqual(['f2', 'f1'])
        const page3 = await store.listAudit({ limit: 2, cursor: page2.nextCursor! })
        expect(page3.items.map((e) => e.fields[0])).toEqual(['f0'])
        expect(page3.nextCursor).toBeUndefined()
      })
    })

    describe('users', () => {
      const alice = { name: 'Alice', email: 'Alice@Example.test', enabled: true, severities: ['critical', 'high'] as Severity[] }

      it('creates, reads, lists, updates and deletes a user', async () => {
        const created = await store.createUser({ ...alice, quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' } }, T0)
        expect(created.ok).toBe(true)
        if (!created.ok) return
        const id = created.user.id
        expect(await store.getUser(id)).toEqual(created.user)
        expect(created.user).toMatchObject({ ...alice, quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' }, createdAt: T0 })
        expect((await store.findUserByEmail('alice@EXAMPLE.test'))?.id).toBe(id)
        await store.createUser({ name: 'Bob', email: 'bob@example.test', enabled: false, severities: ['info'] }, T0)
        expect((await store.listUsers()).map((u) => u.name)).toEqual(['Alice', 'Bob'])

        const updated = await store.updateUser(id, { enabled: false, severities: ['low'], quietHours: null }, at(5))
        expect(updated).toMatchObject({ ok: true, user: { enabled: false, severities: ['low'], updatedAt: at(5) } })
        expect(updated.ok && updated.user.quietHours).toBeUndefined()
        expect(await store.updateUser('missing', { name: 'x' }, T0)).toEqual({ ok: false, error: 'not_found' })

        expect(await store.deleteUser(id)).toBe(true)
        expect(await store.deleteUser(id)).toBe(false)
        expect(await store.getUser(id)).toBeUndefined()
      })

      it('keeps e-mail addresses unique ignoring case, on create and on update', async () => {
        expect((await store.createUser(alice, T0)).ok).toBe(true)
        expect(await store.createUser({ ...alice, name: 'Other', email: 'ALICE@example.TEST' }, T0)).toEqual({ ok: false, error: 'email_taken' })
        const bob = await store.createUser({ ...alice, name: 'Bob', email: 'bob@example.test' }, T0)
        if (!bob.ok) throw new Error('bob')
        expect(await store.updateUser(bob.user.id, { email: 'alice@example.test' }, T0)).toEqual({ ok: false, error: 'email_taken' })
        expect((await store.updateUser(bob.user.id, { email: 'BOB@example.test' }, T0)).ok).toBe(true)
      })
    })

    describe('api tokens', () => {
      it('finds live tokens by hash and forgets revoked ones', async () => {
        const token = await store.createToken({ name: 'producer', role: 'events', hash: 'a'.repeat(64) }, T0)
        expect(token).toMatchObject({ name: 'producer', role: 'events', createdAt: T0 })
        expect(JSON.stringify(token)).not.toContain('a'.repeat(64))
        await store.createToken({ name: 'admin', role: 'admin', hash: 'b'.repeat(64) }, at(1))
        expect((await store.findTokenByHash('a'.repeat(64)))?.id).toBe(token.id)
        expect(await store.findTokenByHash('c'.repeat(64))).toBeUndefined()
        expect(await store.revokeToken(token.id, at(2))).toBe(true)
        expect(await store.revokeToken(token.id, at(3))).toBe(false)
        expect(await store.findTokenByHash('a'.repeat(64))).toBeUndefined()
        const list = await store.listTokens()
        expect(list.map((t) => t.name)).toEqual(['admin', 'producer'])
        expect(list[1]?.revokedAt).toEqual(at(2))
      })
    })

    describeOutbox(() => opened)
    describeNotifyStore(() => opened)
    describePolicyStore(() => opened)
    describeBacklog(() => opened)
  })
}

