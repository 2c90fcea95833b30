/**
 * Two workers, each with its own connection pool to the same real PostgreSQL database (as two
 * `alertmail serve` processes), deliver 2,000 deliveries: FOR UPDATE SKIP LOCKED claims mean no
 * message reaches the relay twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Worker, type DeliveryInput } from '../../src/outbox/index.js'
import { openStore, type AlertmailStore } from '../../src/store/index.js'
import { createTestDatabase, type TestDatabase } from '../support/pg.js'
import { sinkSettings, startSink, waitFor, workerConfig, type Sink } from './sink.js'

let db: TestDatabase
let stores: AlertmailStore[]
let sink: Sink

beforeAll(async () => {
  db = await createTestDatabase('alertmail_worker')
  stores = [
    await openStore({ databaseUrl: db.url, dataDir: '/nonexistent-unused' }),
    await openStore({ databaseUrl: db.url, dataDir: '/nonexistent-unused' }),
  ]
  sink = await startSink()
})

afterAll(async () => {
  for (const s of stores) await s.close()
  await sink.close()
  await db.drop()
})

describe('Worker on PostgreSQL', () => {
  it('two workers deliver 2,000 deliveries with no duplicate', async () => {
    const total = 2_000
    const [a, b] = stores as [AlertmailStore, AlertmailStore]
    const now = new Date()
    const severities = ['critical', 'high', 'medium', 'low', 'info'] as const
    for (let n = 0; n < total / 100; n++) {
      const list: DeliveryInput[] = Array.from({ length: 100 }, (_, k) => {
        const i = n * 100 + k
        return { recipient: `user${i}@example.test`, messageId: `<pg${i}.${process.pid}@appliance.test>`, subject: `alert ${i}`, text: `body ${i}` }
      })
      await a.enqueue({ kind: 'alert', severity: severities[n % 5]!, groupKey: `g${n}`, eventCount: 1, createdAt: now }, list)
    }
    const settings = sinkSettings(sink, { maxConnections: 3 })
    const workers = [a, b].map((store, i) => new Worker({ store, owner: `w${i}`, getConfig: () => workerConfig(settings), pollIntervalMs: 20 }))
    for (const w of workers) w.start()
    try {
      await waitFor(async () => (await a.metrics(new Date())).byState.sent === total, `${total} sent`, 240_000)
    } finally {
      for (const w of workers) await w.stop()
    }
    const counts = sink.countByMessageId()
    expect(counts.size).toBe(total)
    expect(sink.messages).toHaveLength(total)
    expect([...counts.values()].filter((c) => c > 1)).toEqual([])
    // Both workers took part.
    expect(workers.every((w) => w.stats.sent > 0)).toBe(true)
    expect(workers.reduce((n, w) => n + w.stats.sent, 0)).toBe(total)
    expect((await b.metrics(new Date())).queueDepth).toBe(0)
  }, 300_000)
})
