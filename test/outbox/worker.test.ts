/**
 * The delivery worker against the real SQLite store and a real smtp-server relay (port 0).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Worker, type DeliveryInput, type Severity, type WorkerOptions } from '../../src/outbox/index.js'
import type { EmailSettings } from '../../src/settings/index.js'
import { openStore, type AlertmailStore } from '../../src/store/index.js'
import { reply, startFakeSmtp } from '../support/fake-smtp.js'
import { sinkSettings, startSink, waitFor, workerConfig, type Sink } from './sink.js'

let dir: string
let store: AlertmailStore
let sink: Sink
const workers: Worker[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alertmail-worker-'))
  store = await openStore({ dataDir: dir })
  sink = await startSink()
})

afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop({ graceMs: 1_000 })
  await store.close()
  await sink.close()
  await rm(dir, { recursive: true, force: true })
})

function startWorker(settings: EmailSettings, over: Partial<WorkerOptions> = {}): Worker {
  const worker = new Worker({ store, getConfig: () => workerConfig(settings), pollIntervalMs: 20, ...over })
  workers.push(worker)
  worker.start()
  return worker
}

let seq = 0
function deliveries(n: number, over: Partial<DeliveryInput> = {}): DeliveryInput[] {
  return Array.from({ length: n }, () => {
    seq++
    return {
      recipient: `user${seq}@example.test`,
      messageId: `<d${seq}.${process.pid}@appliance.test>`,
      subject: `[HIGH] SYN flood on edge-3 #${seq}`,
      text: `SYN flood ${seq}`,
      html: `<p>SYN flood ${seq}</p>`,
      ...over,
    }
  })
}

async function enqueue(severity: Severity, list: DeliveryInput[], createdAt = new Date()) {
  return store.enqueue({ kind: 'alert', severity, groupKey: 'edge-3', eventCount: 1, createdAt }, list)
}

async function countState(state: 'sent' | 'failed' | 'retrying' | 'queued'): Promise<number> {
  return (await store.metrics(new Date())).byState[state]
}

describe('Worker', () => {
  it('delivers queued mail once, with the Message-ID chosen at enqueue, and records the reply', async () => {
    const { deliveries: ds } = await enqueue('high', deliveries(3))
    startWorker(sinkSettings(sink))
    await waitFor(async () => (await countState('sent')) === 3, '3 sent')
    expect(sink.messages.map((m) => m.messageId).sort()).toEqual(ds.map((d) => d.messageId).sort())
    const first = sink.messages.find((m) => m.messageId === ds[0]!.messageId)!
    expect(first).toMatchObject({ from: 'alertmail@appliance.test', to: [ds[0]!.recipient] })
    expect(first.raw).toMatch(/^From: Appliance <alertmail@appliance\.test>/m)
    expect(first.raw).toMatch(/^Subject: \[HIGH\] SYN flood on edge-3/m)
    const detail = await store.getDelivery(ds[0]!.id)
    expect(detail).toMatchObject({ state: 'sent', attempts: 1, lastCode: 250, lastEnhanced: '2.6.0' })
    expect(detail?.lastReply).toMatch(/queued as/)
    expect(detail?.attemptLog).toHaveLength(1)
    expect(detail?.attemptLog[0]).toMatchObject({ outcome: 'sent', code: 250 })
    expect(detail?.attemptLog[0]?.transcript.some((l) => l.dir === 'S' && l.line.startsWith('250 2.6.0 Ok: queued as'))).toBe(true)
  })

  it('rides out a 4xx relay outage and then delivers every message exactly once', async () => {
    sink.mode = 'defer'
    const { deliveries: ds } = await enqueue('critical', deliveries(5))
    startWorker(sinkSettings(sink))
    // Every delivery has been deferred at least once.
    await waitFor(async () => {
      const page = await store.listDeliveries({ status: 'retrying' })
      return page.items.length === 5
    }, 'all 5 retrying')
    expect(sink.messages).toHaveLength(0)
    sink.mode = 'accept'
    await waitFor(async () => (await countState('sent')) === 5, '5 sent after recovery')
    const counts = sink.countByMessageId()
    expect(counts.size).toBe(5)
    expect([...counts.values()].every((n) => n === 1)).toBe(true)
    const detail = await store.getDelivery(ds[0]!.id)
    expect(detail!.attemptLog.length).toBeGreaterThanOrEqual(2)
    expect(detail!.attemptLog[0]).toMatchObject({ outcome: 'transient', code: 451, enhanced: '4.3.0' })
    expect(detail!.attemptLog.at(-1)).toMatchObject({ outcome: 'sent', code: 250 })
  })

  it('fails a 5xx-refused recipient alone, at once, while the others are delivered', async () => {
    const list = deliveries(3)
    sink.refuse.add(list[1]!.recipient)
    const { deliveries: ds } = await enqueue('high', list)
    const worker = startWorker(sinkSettings(sink))
    await waitFor(async () => (await countState('sent')) === 2 && (await countState('failed')) === 1, '2 sent, 1 failed')
    const bad = await store.getDelivery(ds[1]!.id)
    expect(bad).toMatchObject({ state: 'failed', attempts: 1, lastCode: 550, lastEnhanced: '5.1.1' })
    expect(bad?.failReason).toMatch(/550 5\.1\.1/)
    expect(bad?.attemptLog[0]?.outcome).toBe('permanent')
    expect(sink.messages.map((m) => m.to[0]).sort()).toEqual([list[0]!.recipient, list[2]!.recipient].sort())
    expect(worker.stats.failed).toBe(1)
  })

  it('dead-letters a delivery when its attempts are exhausted, with the reason', async () => {
    sink.mode = 'defer'
    const { deliveries: ds } = await enqueue('low', deliveries(1))
    startWorker(sinkSettings(sink, { retry: { maxAttempts: 3, minDelayMs: 10, maxDelayMs: 20, factor: 2, jitter: 0, maxAgeMs: 3_600_000 } }))
    await waitFor(async () => (await countState('failed')) === 1, 'dead letter')
    const d = await store.getDelivery(ds[0]!.id)
    expect(d).toMatchObject({ state: 'failed', attempts: 3, lastCode: 451 })
    expect(d?.failReason).toMatch(/gave up after 3 attempts .*451 4\.3\.0/)
    expect(d?.attemptLog.map((a) => a.outcome)).toEqual(['transient', 'transient', 'transient'])
    // A manual retry puts it back in the queue and it is delivered once the relay is back.
    sink.mode = 'accept'
    expect((await store.retryDelivery(ds[0]!.id, new Date())).ok).toBe(true)
    await waitFor(async () => (await countState('sent')) === 1, 'sent after manual retry')
    expect(sink.messages).toHaveLength(1)
  })

  it("resumes a crashed worker's deliveries once their lease expires", async () => {
    const { deliveries: ds } = await enqueue('high', deliveries(4))
    // A worker that claimed everything and died: nobody completes these rows.
    const crashed = await store.claimDue({ owner: 'crashed', now: new Date(), leaseMs: 300, limit: 10 })
    expect(crashed).toHaveLength(4)
    const worker = startWorker(sinkSettings(sink))
    await waitFor(async () => (await countState('sent')) === 4, 'resumed and sent')
    expect(sink.countByMessageId().size).toBe(4)
    expect(sink.messages).toHaveLength(4)
    for (const d of ds) expect((await store.getDelivery(d.id))?.attemptLog).toHaveLength(1)
    // The dead owner's late completion would be ignored.
    expect(await store.completeAttempts([{ deliveryId: ds[0]!.id, owner: 'crashed', attempt: { startedAt: new Date(), ms: 1, outcome: 'sent', transcript: [] }, next: { state: 'sent' } }], new Date())).toEqual([])
    expect(worker.stats.sent).toBe(4)
  })

  it('resumes at once the rows a previous run under the same owner id left leased', async () => {
    await enqueue('high', deliveries(3))
    const leased = await store.claimDue({ owner: 'sqlite:instance', now: new Date(), leaseMs: 3_600_000, limit: 10 })
    expect(leased).toHaveLength(3)
    startWorker(sinkSettings(sink), { owner: 'sqlite:instance', leaseMs: 3_600_000 })
    await waitFor(async () => (await countState('sent')) === 3, 'resumed without waiting for the hour-long lease')
    expect(sink.countByMessageId().size).toBe(3)
  })

  it('renews the lease of a slow send so no other worker takes it over', async () => {
    let release!: () => void
    sink.hold = new Promise<void>((r) => { release = r })
    const { deliveries: ds } = await enqueue('high', deliveries(1))
    startWorker(sinkSettings(sink), { owner: 'slow', leaseMs: 1_500 })
    await waitFor(() => sink.dataStarted === 1, 'DATA under way')
    const first = (await store.getDelivery(ds[0]!.id))!.leaseUntil!.getTime()
    // Past the original lease, and renewed twice: the row is still ours.
    await waitFor(async () => {
      const d = await store.getDelivery(ds[0]!.id)
      return d?.leaseOwner === 'slow' && (d.leaseUntil?.getTime() ?? 0) > first + 1_000 && Date.now() > first
    }, 'lease renewed')
    const other = startWorker(sinkSettings(sink), { owner: 'other' })
    await waitFor(() => other.stats.cycles >= 20, 'the other worker polled')
    expect(other.stats.claimed).toBe(0)
    release()
    await waitFor(async () => (await countState('sent')) === 1, 'sent')
    expect(sink.messages).toHaveLength(1)
  })

  it('keeps to rateLimitPerMinute and spends a short budget on critical mail first', async () => {
    let clock = Date.now()
    const now = () => clock
    await enqueue('low', deliveries(4), new Date(clock))
    const critical = deliveries(2)
    await enqueue('critical', critical, new Date(clock))
    const worker = startWorker(sinkSettings(sink, { rateLimitPerMinute: 3 }), {
      now,
      // The clock is frozen: only the test moves it. Short real waits keep the loop turning.
      // (Each sleep removes its abort listener: the worker reuses one signal across sleeps.)
      sleep: (ms, signal) => new Promise<void>((resolve) => {
        const onAbort = () => { clearTimeout(t); resolve() }
        const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, Math.min(ms, 5))
        signal.addEventListener('abort', onAbort, { once: true })
      }),
    })
    await waitFor(() => worker.stats.sent === 3, 'first minute budget sent')
    expect(sink.messages.map((m) => m.to[0])).toEqual(expect.arrayContaining(critical.map((c) => c.recipient)))
    const cycles = worker.stats.cycles
    await waitFor(() => worker.stats.cycles >= cycles + 50, 'the worker kept polling')
    expect(sink.messages).toHaveLength(3)
    clock += 20_000 // one token (3 per minute)
    await waitFor(() => worker.stats.sent === 4, 'one more after 20 s')
    const cycles2 = worker.stats.cycles
    await waitFor(() => worker.stats.cycles >= cycles2 + 50, 'the worker kept polling')
    expect(sink.messages).toHaveLength(4)
    clock += 60_000
    await waitFor(() => worker.stats.sent === 6, 'the rest after another minute')
    expect(sink.countByMessageId().size).toBe(6)
  })

  it('stop() gives back the leases of sends that do not finish within the grace period', async () => {
    let release!: () => void
    sink.hold = new Promise<void>((r) => { release = r })
    const { deliveries: ds } = await enqueue('high', deliveries(1))
    const worker = startWorker(sinkSettings(sink))
    await waitFor(() => sink.dataStarted === 1, 'DATA under way')
    await worker.stop({ graceMs: 50 })
    const d = await store.getDelivery(ds[0]!.id)
    expect(d).toMatchObject({ state: 'queued', attempts: 0 })
    expect(d?.leaseOwner).toBeUndefined()
    release()
  })

  it('stop() lets a send in flight finish and records it', async () => {
    let release!: () => void
    sink.hold = new Promise<void>((r) => { release = r })
    const { deliveries: ds } = await enqueue('high', deliveries(1))
    const worker = startWorker(sinkSettings(sink))
    await waitFor(() => sink.dataStarted === 1, 'DATA under way')
    const stopped = worker.stop({ graceMs: 30_000 })
    release()
    await stopped
    expect(await store.getDelivery(ds[0]!.id)).toMatchObject({ state: 'sent', attempts: 1 })
  })

  it('marks a send whose connection died after the final dot as unknown and retries it with the same Message-ID', async () => {
    let dots = 0
    const fake = await startFakeSmtp({
      extensions: ['PIPELINING', 'ENHANCEDSTATUSCODES'],
      dataDone: () => (dots++ === 0 ? { drop: true } : reply(250, '2.0.0 Ok: queued')),
    })
    try {
      const { deliveries: ds } = await enqueue('critical', deliveries(1))
      startWorker(sinkSettings(fake))
      await waitFor(async () => (await countState('sent')) === 1, 'sent on the second try')
      const d = await store.getDelivery(ds[0]!.id)
      expect(d?.attemptLog.map((a) => a.outcome)).toEqual(['unknown', 'sent'])
      const messages = fake.connections.flatMap((c) => c.messages.map((m) => /^Message-ID:\s*(<[^>]+>)/im.exec(m.toString())?.[1]))
      expect(messages).toEqual([ds[0]!.messageId, ds[0]!.messageId])
    } finally {
      await fake.close()
    }
  })

  it('keeps deliveries retrying (not unknown) while the relay refuses connections', async () => {
    const gone = await startSink()
    const settings = sinkSettings(gone)
    await gone.close()
    const { deliveries: ds } = await enqueue('high', deliveries(2))
    startWorker(settings)
    await waitFor(async () => (await store.listDeliveries({ status: 'retrying' })).items.length === 2, 'both retrying')
    const d = await store.getDelivery(ds[0]!.id)
    expect(d?.attemptLog[0]?.outcome).toBe('transient')
    expect(d?.attemptLog[0]?.transcript.at(-2)?.line).toMatch(/ERR_SMTP_CONNECT/)
    expect((await store.metrics(new Date())).byState.unknown).toBe(0)
  })

  it('sends through the new relay after the settings change', async () => {
    const other = await startSink()
    let settings = sinkSettings(sink)
    const worker = new Worker({ store, getConfig: () => workerConfig(settings), pollIntervalMs: 10 })
    workers.push(worker)
    worker.start()
    try {
      await enqueue('high', deliveries(1))
      await waitFor(() => sink.messages.length === 1, 'first relay used')
      settings = sinkSettings(other)
      await enqueue('high', deliveries(1))
      await waitFor(() => other.messages.length === 1, 'second relay used')
      expect(sink.messages).toHaveLength(1)
    } finally {
      await worker.stop()
      await other.close()
    }
  })

  it('sends nothing while notifications are disabled, and everything once enabled', async () => {
    let settings = sinkSettings(sink, { enabled: false })
    await enqueue('high', deliveries(2))
    const worker = new Worker({ store, getConfig: () => workerConfig(settings), pollIntervalMs: 5 })
    workers.push(worker)
    worker.start()
    await waitFor(() => worker.stats.cycles >= 30, 'polling')
    expect(sink.messages).toHaveLength(0)
    settings = { ...settings, enabled: true }
    await waitFor(async () => (await countState('sent')) === 2, 'sent once enabled')
  })
})
