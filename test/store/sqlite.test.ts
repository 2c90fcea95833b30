import BetterSqlite3 from 'better-sqlite3'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrate, openStore, SQLITE_FILE } from '../../src/store/index.js'
import { describeStore } from './contract.js'

describeStore('sqlite', async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'alertmail-store-')), 'data')
  const store = await openStore({ dataDir })
  const others: { close(): Promise<void> }[] = []
  return {
    store,
    async openAnother() {
      const other = await openStore({ dataDir })
      others.push(other)
      return other
    },
    async cleanup() {
      await store.close()
      for (const o of others) await o.close()
      await rm(join(dataDir, '..'), { recursive: true, force: true })
    },
  }
})

describe('SQLite store files', () => {
  it('creates the data dir 0700 with alertmail.db in WAL mode, and migrate is idempotent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'alertmail-store-'))
    const dataDir = join(root, 'nested', 'data')
    try {
      expect(await migrate({ dataDir })).toEqual({ dialect: 'sqlite', applied: ['0001-initial', '0002-events', '0003-app-settings', '0004-retention-indexes'] })
      expect(await migrate({ dataDir })).toEqual({ dialect: 'sqlite', applied: [] })
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
      const store = await openStore({ dataDir, databaseUrl: '' })
      await store.ping()
      await store.close()
      await store.close()
      expect((await stat(join(dataDir, SQLITE_FILE))).isFile()).toBe(true)
      const raw = new BetterSqlite3(join(dataDir, SQLITE_FILE), { readonly: true })
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
      raw.close()
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('refuses a database URL that is not postgres://', async () => {
    await expect(openStore({ dataDir: tmpdir(), databaseUrl: 'mysql://x' })).rejects.toThrow(/ERR_CONFIG_DATABASE_URL/)
  })
})
