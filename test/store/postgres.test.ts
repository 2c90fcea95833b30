import { describe, expect, it } from 'vitest'
import { migrate, openStore } from '../../src/store/index.js'
import { createTestDatabase } from '../support/pg.js'
import { describeStore } from './contract.js'

// The real server on 127.0.0.1:5432 (CI starts it); never skipped.
describeStore('postgres', async () => {
  const db = await createTestDatabase('alertmail_store')
  const store = await openStore({ databaseUrl: db.url, dataDir: '/nonexistent-unused' })
  const others: { close(): Promise<void> }[] = []
  return {
    store,
    async openAnother() {
      const other = await openStore({ databaseUrl: db.url, dataDir: '/nonexistent-unused' })
      others.push(other)
      return other
    },
    async cleanup() {
      await store.close()
      for (const o of others) await o.close()
      await db.drop()
    },
  }
})

describe('PostgreSQL store', () => {
  it('migrates once, then reports nothing to apply', async () => {
    const db = await createTestDatabase('alertmail_migrate')
    try {
      expect(await migrate({ databaseUrl: db.url, dataDir: '/nonexistent-unused' })).toEqual({ dialect: 'postgres', applied: ['0001-initial', '0002-events', '0003-app-settings', '0004-retention-indexes'] })
      expect(await migrate({ databaseUrl: db.url, dataDir: '/nonexistent-unused' })).toEqual({ dialect: 'postgres', applied: [] })
    } finally {
      await db.drop()
    }
  })

  it('fails ping once closed', async () => {
    const db = await createTestDatabase('alertmail_ping')
    try {
      const store = await openStore({ databaseUrl: db.url, dataDir: '/nonexistent-unused' })
      await store.ping()
      await store.close()
      await expect(store.ping()).rejects.toThrow()
    } finally {
      await db.drop()
    }
  })
})
