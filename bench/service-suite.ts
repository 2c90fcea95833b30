/**
 * The service half of the bench: `alertmail serve` as a child process (ServeProcess), our FastSink
 * (another process) as its relay, and the load generated from this process.
 *
 * - ingest: the maximum sustained POST /api/v1/events rate, closed loop, in batches of 100 and one
 *   per request, on SQLite and on PostgreSQL. The service runs as deployed: notifications on, one
 *   user for every severity, the default grouping policy (a storm from a few sources becomes a few
 *   digests), the sink as relay.
 * - latency: event → accepted by the relay at a fixed offered rate, one event per request, grouping
 *   off (a unique dedupKey per event and groupWaitMs 0 through PUT /api/v1/settings/notifications).
 * - memory: RSS (/proc/PID/status) idle, with N notifications queued while the relay is down, and
 *   while the queue drains once it is back.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Helper } from './children.js'
import type { KeepAliveClient } from './http-load.js'
import { closedLoop, openLoop } from './http-load.js'
import { createBenchDatabase } from './pg-database.js'
import { ServeProcess } from './serve-process.js'
import { percentile, round } from './stats.js'
import { summariseProfile, type ProfileSummary } from './profile-summary.js'

export interface IngestFigure {
  readonly db: 'sqlite' | 'postgres'
  /** Events per request. */
  readonly batch: number
  readonly eventsPerSecond: number
  readonly requests: number
  readonly errors: number
  readonly firstError?: string
  readonly seconds: number
  readonly concurrency: number
  /** CPU of the serve process per accepted event over the whole phase (warm-up included). */
  readonly serveCpuMsPerEvent: number
}

export interface LatencyFigure {
  readonly offeredPerSecond: number
  readonly events: number
  readonly delivered: number
  readonly postErrors: number
  /** Over the measured events: those offered after the first second (the warm-up). */
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Events of the warm-up second (same rate, same stream, not in p50/p99). */
  readonly warmupEvents: number
  /**
   * p99 of the warm-up second alone: the cold start (first SMTP connection, JIT, lazy modules) that
   * the steady-state figure leaves out.
   */
  readonly warmupP99Ms: number
  /** CPU of the serve process per offered event (warm-up included), from the first post until the last arrival. */
  readonly serveCpuMsPerEvent: number
  /** Summary of the serve profile when `profileDir` was given (node --cpu-prof of that serve). */
  readonly profile?: { readonly file: string; readonly summary: ProfileSummary }
}

export interface MemoryFigure {
  readonly idleRssMb: number
  /** Events posted (one notification each, grouping off). */
  readonly requested: number
  /** Queue depth reached (alertmail_queue_depth), before the relay came back. */
  readonly queued: number
  readonly queuedRssMb: number
  readonly drainPeakRssMb: number
  readonly drainGrowthPercent: number
  readonly afterDrainRssMb: number
  readonly drainSeconds: number
  readonly drainedMessages: number
  readonly drainMessagesPerSecond: number
  /** CPU of the serve process per delivered message while draining. */
  readonly drainServeCpuMsPerMessage: number
}

export interface ServiceSuiteResult {
  readonly measured: boolean
  readonly note?: string
  readonly ingest: IngestFigure[]
  readonly latency?: LatencyFigure
  readonly memory?: MemoryFigure
  readonly errors: string[]
}

export const SERVICE_CASES = ['ingest', 'latency', 'memory'] as const
export type ServiceCase = (typeof SERVICE_CASES)[number]

export interface ServiceSuiteOptions {
  readonly quick: boolean
  /** Which cases to run (default all): `--service-cases=latency,memory` re-measures those alone. */
  readonly cases?: readonly ServiceCase[]
  /** Run the latency case's serve under `node --cpu-prof` and write the profile here. */
  readonly profileDir?: string
  readonly postgres: boolean
  /** Notifications queued for the memory figure (100,000 in a full run). */
  readonly queued: number
  readonly log: (line: string) => void
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Points the service at a relay on 127.0.0.1:`port` with notifications on and one user. */
async function configure(serve: ServeProcess, relayPort: number, extra: Record<string, unknown> = {}): Promise<void> {
  const current = await serve.api<Record<string, unknown>>('GET', '/api/v1/settings/email')
  await serve.api('PUT', '/api/v1/settings/email', {
    ...current,
    enabled: true,
    host: '127.0.0.1',
    port: relayPort,
    encryption: 'NONE',
    startTls: false,
    authEnabled: false,
    fromAddress: 'alertmail@bench.test',
    connectionTimeoutMs: 5000,
    socketTimeoutMs: 15000,
    maxConnections: 2,
    maxMessagesPerConnection: 100_000,
    ...extra,
  })
  await serve.api('POST', '/api/v1/users', { name: 'Bench Operator', email: 'operator@sink.test', enabled: true, severities: [...SEVERITIES] })
}

/** Grouping off for critical alerts: each event with its own dedupKey is mailed at once. */
async function groupingOff(serve: ServeProcess): Promise<void> {
  await serve.api('PUT', '/api/v1/settings/notifications', {
    critical: { groupWaitMs: 0, groupIntervalMs: 1000, repeatIntervalMs: 1000, dedupWindowMs: 0 },
  })
}

function stormEvent(i: number): Record<string, unknown> {
  return {
    severity: SEVERITIES[i % SEVERITIES.length],
    title: `SYN flood on edge-${String(i % 10)}: ${String(1000 + (i % 997))} kpps`,
    message: 'Mitigation engaged; traffic scrubbed at the edge.',
    source: `edge-${String(i % 10)}`,
    category: 'ddos',
    labels: { site: 'fra1', vector: 'syn' },
  }
}

async function ingest(db: 'sqlite' | 'postgres', opts: ServiceSuiteOptions, errors: string[]): Promise<IngestFigure[]> {
  const database = db === 'postgres' ? await createBenchDatabase() : undefined
  const sink = await Helper.sink('fast-pipelining')
  let serve: ServeProcess | undefined
  const figures: IngestFigure[] = []
  try {
    serve = await ServeProcess.start(database === undefined ? {} : { databaseUrl: database.url })
    await configure(serve, sink.port)
    const seconds = opts.quick ? 3 : 6
    for (const [batch, concurrency] of [
      [100, 4],
      [1, 16],
    ] as const) {
      const batchBody = JSON.stringify(Array.from({ length: batch }, (_, i) => stormEvent(i)))
      const body = batch === 1 ? (i: number) => JSON.stringify(stormEvent(i)) : () => batchBody
      // Serve's CPU over the measured window (after the 1 s warm-up).
      let cpu0 = serve.cpuMs()
      const at = setTimeout(() => (cpu0 = serve!.cpuMs()), 1000)
      const r = await closedLoop(serve.http, '/api/v1/events', body, { concurrency, seconds, warmupSeconds: 1, okStatus: 202 })
      clearTimeout(at)
      const cpu = serve.cpuMs() - cpu0
      const f: IngestFigure = {
        db,
        batch,
        eventsPerSecond: round((r.ok * batch) / r.seconds, 0),
        requests: r.requests,
        errors: r.errors,
        ...(r.firstError === undefined ? {} : { firstError: r.firstError }),
        seconds: r.seconds,
        concurrency,
        serveCpuMsPerEvent: round(cpu / Math.max(1, r.ok * batch), 3),
      }
      figures.push(f)
      opts.log(`  ingest ${db}, ${String(batch)} per request: ${String(f.eventsPerSecond)} events/s, serve CPU ${String(f.serveCpuMsPerEvent)} ms/event (${String(r.errors)} errors${r.firstError === undefined ? '' : `: ${r.firstError}`})`)
    }
  } catch (err) {
    errors.push(`ingest ${db}: ${String(err)}`)
    opts.log(`  ingest ${db}: FAILED ${String(err)}`)
  } finally {
    await serve?.stop()
    await sink.close()
    await database?.drop()
  }
  return figures
}

async function latency(opts: ServiceSuiteOptions, errors: string[]): Promise<LatencyFigure | undefined> {
  const sink = await Helper.sink('fast-pipelining', { trace: true })
  let serve: ServeProcess | undefined
  let profileFile: string | undefined
  try {
    if (opts.profileDir !== undefined) mkdirSync(opts.profileDir, { recursive: true })
    const profileName = `serve-latency-${new Date().toISOString().replaceAll(':', '')}.cpuprofile`
    serve = await ServeProcess.start(
      opts.profileDir === undefined ? {} : { execArgv: ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`, `--cpu-prof-name=${profileName}`] },
    )
    if (opts.profileDir !== undefined) profileFile = join(opts.profileDir, profileName)
    await configure(serve, sink.port)
    await groupingOff(serve)
    const perSecond = 200
    // One second at the offered rate first, as the ingest case warms up: the first events pay the
    // relay connection and the JIT, which a steady 200 events/s does not (reported apart).
    const warmup = perSecond
    const count = perSecond * (opts.quick ? 5 : 10)
    const total = warmup + count
    const run = Date.now().toString(36)
    const body = (i: number): string =>
      JSON.stringify({ severity: 'critical', title: `Latency probe bnch${String(i)}z`, source: 'bench', dedupKey: `lat-${run}-${String(i)}` })
    const cpu0 = serve.cpuMs()
    const sent = await openLoop(serve.http, '/api/v1/events', body, { perSecond, count: total })
    const arrived = new Map<number, number>()
    let last = Date.now()
    const waitUntil = Date.now() + 45_000
    while (arrived.size < total && Date.now() - last < 20_000 && Date.now() < waitUntil) {
      const traces = await sink.traces()
      if (traces.length > 0) last = Date.now()
      for (const [id, at] of traces) if (!arrived.has(id)) arrived.set(id, at)
      await sleep(200)
    }
    // Until the last arrival, not the end of the wait: the 200 ms polls of the sink cost nothing there.
    const cpu = serve.cpuMs() - cpu0
    const latencies = (from: number, to: number): number[] =>
      [...arrived].filter(([id]) => id >= from && id < to).map(([id, at]) => at - (sent.sentAt[id] ?? Number.NaN)).filter((x) => Number.isFinite(x))
    const lat = latencies(warmup, total)
    const base = {
      offeredPerSecond: perSecond,
      events: count,
      delivered: lat.length,
      postErrors: sent.errors,
      p50Ms: round(percentile(lat, 50), 1),
      p99Ms: round(percentile(lat, 99), 1),
      maxMs: round(Math.max(...lat), 1),
      warmupEvents: warmup,
      warmupP99Ms: round(percentile(latencies(0, warmup), 99), 1),
      serveCpuMsPerEvent: round(cpu / total, 3),
    }
    opts.log(
      `  event → relay at ${String(perSecond)}/s after a ${String(warmup)}-event warm-up: p50 ${String(base.p50Ms)} ms, p99 ${String(base.p99Ms)} ms, ${String(base.delivered)}/${String(count)} delivered; warm-up p99 ${String(base.warmupP99Ms)} ms; serve CPU ${String(base.serveCpuMsPerEvent)} ms/event`,
    )
    if (sent.firstError !== undefined) errors.push(`latency posts: ${sent.firstError}`)
    if (profileFile === undefined) return base
    // V8 writes the profile when serve exits (SIGTERM → a clean exit).
    await serve.stop()
    serve = undefined
    const summary = summariseProfile(profileFile, 60)
    opts.log(`  serve profile: ${profileFile} (${String(summary.totalMs)} ms sampled)`)
    return { ...base, profile: { file: profileFile, summary } }
  } catch (err) {
    errors.push(`latency: ${String(err)}`)
    opts.log(`  latency: FAILED ${String(err)}`)
    return undefined
  } finally {
    await serve?.stop()
    await sink.close()
  }
}

async function queueDepth(client: KeepAliveClient): Promise<number> {
  const r = await client.request('GET', '/metrics')
  const m = /^alertmail_queue_depth(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+?\d+)?)$/m.exec(r.text)
  return m === null ? Number.NaN : Number(m[1])
}

async function memory(opts: ServiceSuiteOptions, errors: string[]): Promise<MemoryFigure | undefined> {
  // Learn a port for the relay, then leave it closed: the relay is "down" (connection refused).
  const probe = await Helper.sink('fast-pipelining')
  const relayPort = probe.port
  await probe.close()
  let serve: ServeProcess | undefined
  let sink: Helper | undefined
  try {
    serve = await ServeProcess.start()
    await sleep(3000)
    const idleRssMb = serve.rssMb()
    opts.log(`  idle RSS ${String(idleRssMb)} MB`)
    await configure(serve, relayPort, { retry: { maxAttempts: 100, minDelayMs: 1000, maxDelayMs: 3000, factor: 2, jitter: 0.2, maxAgeMs: 86_400_000 } })
    await groupingOff(serve)
    const run = Date.now().toString(36)
    const t0 = Date.now()
    const batches = Math.ceil(opts.queued / 100)
    let nextBatch = 0
    // Caps keep the whole bench within its 10 minutes on a slow or busy machine; a queue that did
    // not fill is reported as such (and the target as not met), never scaled up.
    const postCapMs = 60_000
    const drainCapMs = 90_000
    const post = async (): Promise<void> => {
      while (nextBatch < batches && Date.now() - t0 < postCapMs) {
        const b = nextBatch++
        const events = Array.from({ length: 100 }, (_, i) => ({ severity: 'critical', title: `Queued alert ${String(b * 100 + i)}`, source: 'bench', dedupKey: `mem-${run}-${String(b * 100 + i)}` }))
        const r = await serve!.http.request('POST', '/api/v1/events', JSON.stringify(events))
        if (r.status !== 202) throw new Error(`POST events: ${String(r.status)} ${r.text.slice(0, 300)}`)
      }
    }
    await Promise.all([post(), post(), post(), post()])
    const posted = Math.min(nextBatch, batches) * 100
    opts.log(`  posted ${String(posted)} events in ${String(round((Date.now() - t0) / 1000, 1))} s${posted < batches * 100 ? ' (capped)' : ''}`)
    // Wait until the notifier has turned them all into queued deliveries (or stops making progress).
    let depth = 0
    let lastChange = Date.now()
    const queueWaitUntil = Date.now() + 30_000
    while (Date.now() - lastChange < 10_000 && Date.now() < queueWaitUntil) {
      const d = await queueDepth(serve.http)
      if (d !== depth) lastChange = Date.now()
      depth = d
      if (depth >= posted) break
      await sleep(500)
    }
    await sleep(2000)
    const queuedRssMb = serve.rssMb()
    opts.log(`  ${String(depth)} queued, RSS ${String(queuedRssMb)} MB; relay up, draining`)

    sink = await Helper.sink('fast-pipelining', { port: relayPort })
    const drainCpu0 = serve.cpuMs()
    const d0 = Date.now()
    let peak = queuedRssMb
    let delivered = 0
    let lastProgress = Date.now()
    while (delivered < depth && Date.now() - lastProgress < 30_000 && Date.now() - d0 < drainCapMs) {
      await sleep(500)
      peak = Math.max(peak, serve.rssMb())
      const s = (await sink.stats()).messages
      if (s > delivered) lastProgress = Date.now()
      delivered = s
    }
    const drainSeconds = (Date.now() - d0) / 1000
    const drainCpu = serve.cpuMs() - drainCpu0
    const f: MemoryFigure = {
      idleRssMb,
      requested: batches * 100,
      queued: depth,
      queuedRssMb,
      drainPeakRssMb: peak,
      drainGrowthPercent: round((100 * (peak - queuedRssMb)) / queuedRssMb, 1),
      afterDrainRssMb: serve.rssMb(),
      drainSeconds: round(drainSeconds, 1),
      drainedMessages: delivered,
      drainMessagesPerSecond: round(delivered / drainSeconds, 0),
      drainServeCpuMsPerMessage: round(drainCpu / Math.max(1, delivered), 3),
    }
    opts.log(
      `  drained ${String(delivered)} in ${String(f.drainSeconds)} s (${String(f.drainMessagesPerSecond)}/s, serve CPU ${String(f.drainServeCpuMsPerMessage)} ms/message), peak RSS ${String(peak)} MB`,
    )
    return f
  } catch (err) {
    errors.push(`memory: ${String(err)}`)
    opts.log(`  memory: FAILED ${String(err)}`)
    return undefined
  } finally {
    await serve?.stop()
    await sink?.close()
  }
}

export async function runServiceSuite(opts: ServiceSuiteOptions): Promise<ServiceSuiteResult> {
  const errors: string[] = []
  opts.log('Service (alertmail serve)')
  try {
    const probe = await ServeProcess.start()
    await probe.stop()
  } catch (err) {
    const note = `alertmail serve did not start: ${String(err).slice(0, 400)}`
    opts.log(`  not measured: ${note}`)
    return { measured: false, note, ingest: [], errors: [note] }
  }
  const cases = new Set(opts.cases ?? SERVICE_CASES)
  const figures = cases.has('ingest')
    ? [...(await ingest('sqlite', opts, errors)), ...(opts.postgres ? await ingest('postgres', opts, errors) : [])]
    : []
  const lat = cases.has('latency') ? await latency(opts, errors) : undefined
  const mem = cases.has('memory') ? await memory(opts, errors) : undefined
  return {
    measured: true,
    ingest: figures,
    ...(lat === undefined ? {} : { latency: lat }),
    ...(mem === undefined ? {} : { memory: mem }),
    errors,
  }
}
