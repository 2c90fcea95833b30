/**
 * The SMTP half of the bench: our SmtpPool vs nodemailer's pool, on loopback and behind the
 * delay relay. Every case runs the client in a fresh process against a sink in another process;
 * ours and nodemailer alternate case by case so drift on a shared machine hits both alike.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { ClientName } from './clients.js'
import type { SinkKind } from './helper-process.js'
import { Helper, runChild } from './children.js'
import type { ProfileSummary } from './profile-summary.js'
import { summariseProfile } from './profile-summary.js'
import { RttSampler } from './rtt-probe.js'
import type { SmtpJob, SmtpJobResult } from './smtp-workload.js'
import { median, round } from './stats.js'

export interface SmtpSuiteOptions {
  readonly clients: readonly ClientName[]
  readonly loopback: boolean
  readonly rtt: boolean
  readonly loopbackMessages: number
  readonly rttMessages: number
  readonly messageBytes: number
  /** Sends in flight per connection. */
  readonly window: number
  /** One-way delay of the relay; the round trip is twice this. */
  readonly delayMs: number
  readonly connections: readonly number[]
  readonly recipients: readonly number[]
  readonly extraLoopbackSinks: readonly SinkKind[]
  /** Runs per loopback case (ours and nodemailer alternate); the median run is reported. */
  readonly repeat: number
  readonly profileDir?: string
  readonly log: (line: string) => void
}

export interface SmtpCase {
  readonly id: string
  readonly network: 'loopback' | 'rtt'
  readonly sink: SinkKind
  readonly client: ClientName
  readonly connections: number
  readonly recipients: number
  readonly window: number
  /** Nominal round trip of the relay. */
  readonly rttMs?: number
  /** Median round trip measured through the relay while this case ran (NOOP probe). */
  readonly measuredRttMs?: number
  /** messages/s ÷ (1 / measured RTT): how close to one round trip per message. */
  readonly boundFraction?: number
  /** messages/s of every run of this case; `result` is the median one. */
  readonly runs?: number[]
  readonly result?: SmtpJobResult
  readonly error?: string
  /** What the sink saw: every message complete with exactly the bytes sent. */
  readonly verified: boolean
  readonly verifyNote?: string
  readonly sinkMessages: number
  readonly bdatMessages: number
  /** Reply flushes by the sink per message: about the round trips per message. */
  readonly roundTripsPerMessage: number
}

export interface SmtpSuiteResult {
  readonly cases: SmtpCase[]
  readonly rtt?: { readonly nominalMs: number; readonly bound1RttPerSec: number }
  readonly profile?: { readonly file: string; readonly summary: ProfileSummary }
}

interface CaseSpec {
  readonly network: 'loopback' | 'rtt'
  readonly sink: SinkKind
  readonly connections: number
  readonly recipients: number
  readonly messages: number
  readonly rttMs?: number
}

async function runCase(
  spec: CaseSpec,
  client: ClientName,
  sink: Helper,
  port: number,
  opts: SmtpSuiteOptions,
  profileFile?: string,
): Promise<SmtpCase> {
  const warmup = spec.network === 'rtt' ? 10 : Math.min(500, Math.ceil(spec.messages / 10))
  const job: SmtpJob = {
    client,
    host: '127.0.0.1',
    port,
    connections: spec.connections,
    recipients: spec.recipients,
    messages: spec.messages,
    warmup,
    window: opts.window * spec.connections,
    messageBytes: opts.messageBytes,
    ...(profileFile === undefined ? {} : { profileFile }),
  }
  const id = `${spec.network}/${spec.sink}/${client}/c${String(spec.connections)}/r${String(spec.recipients)}`
  await sink.reset()
  let result: SmtpJobResult | undefined
  let error: string | undefined
  const sampler = spec.network === 'rtt' ? await RttSampler.start(port) : undefined
  try {
    result = await runChild<SmtpJobResult>('./smtp-workload.js', job, [], 120_000)
  } catch (err) {
    error = err instanceof Error ? err.message.split('\n')[0] : String(err)
  }
  const rttSamples = sampler === undefined ? [] : await sampler.stop()
  const measuredRttMs = rttSamples.length === 0 ? undefined : round(median(rttSamples), 2)
  const s = await sink.stats()
  // The probe's own NOOP exchanges are not messages, so they do not disturb the message counts.
  const expected = result === undefined ? 0 : warmup + result.sent
  const notes: string[] = []
  if (result !== undefined) {
    if (s.messages !== expected) notes.push(`sink counted ${String(s.messages)} messages, client sent ${String(expected)}`)
    if (s.messages > 0 && (s.minBodyBytes !== opts.messageBytes || s.maxBodyBytes !== opts.messageBytes))
      notes.push(`body sizes ${String(s.minBodyBytes)}..${String(s.maxBodyBytes)}, sent ${String(opts.messageBytes)}`)
    if (s.recipients !== s.messages * spec.recipients) notes.push(`sink counted ${String(s.recipients)} recipients`)
    if (s.protocolErrors > 0) notes.push(`${String(s.protocolErrors)} protocol errors at the sink`)
    if (result.failed > 0) notes.push(`${String(result.failed)} sends failed: ${result.firstError ?? ''}`)
  }
  const c: SmtpCase = {
    id,
    network: spec.network,
    sink: spec.sink,
    client,
    connections: spec.connections,
    recipients: spec.recipients,
    window: job.window,
    ...(spec.rttMs === undefined ? {} : { rttMs: spec.rttMs }),
    ...(measuredRttMs === undefined ? {} : { measuredRttMs }),
    ...(measuredRttMs === undefined || result === undefined ? {} : { boundFraction: round((result.messagesPerSecond * measuredRttMs) / 1000, 3) }),
    ...(result === undefined ? {} : { result }),
    ...(error === undefined ? {} : { error }),
    verified: result !== undefined && notes.length === 0,
    ...(notes.length === 0 ? {} : { verifyNote: notes.join('; ') }),
    sinkMessages: s.messages,
    bdatMessages: s.bdatMessages,
    // FastSink counts reply flushes (the RTT probe adds its own, so subtract those); smtp-server does not.
    roundTripsPerMessage: s.messages === 0 ? 0 : round((s.replyFlushes - rttSamples.length - (sampler === undefined ? 0 : 2)) / s.messages, 2),
  }
  opts.log(
    result === undefined
      ? `  ${id}: FAILED ${error ?? ''}`
      : `  ${id}: ${String(result.messagesPerSecond)} msg/s, p50 ${String(result.p50Ms)} ms, p99 ${String(result.p99Ms)} ms, ` +
          `${String(result.cpuMsPerMessage)} CPU ms/msg` +
          (measuredRttMs === undefined ? '' : `, RTT ${String(measuredRttMs)} ms → ${String(Math.round(100 * (c.boundFraction ?? 0)))}% of 1 RT/msg`) +
          (c.verified ? '' : ` [NOT VERIFIED: ${c.verifyNote ?? ''}]`),
  )
  return c
}

/**
 * Runs a case `opts.repeat` times, clients alternating, and keeps each client's median run. Only the
 * 1-connection, 1-recipient case on the main sink carries a target, so only it is repeated.
 */
async function repeated(spec: CaseSpec, sink: Helper, opts: SmtpSuiteOptions): Promise<SmtpCase[]> {
  const runs = new Map<ClientName, SmtpCase[]>()
  const times = spec.sink === 'fast-pipelining' && spec.connections === 1 && spec.recipients === 1 ? opts.repeat : 1
  for (let r = 0; r < times; r++)
    for (const client of opts.clients) {
      const c = await runCase(spec, client, sink, sink.port, opts)
      runs.set(client, [...(runs.get(client) ?? []), c])
    }
  return opts.clients.map((client) => {
    const all = runs.get(client) ?? []
    const ok = all.filter((c) => c.result !== undefined).sort((a, b) => a.result!.messagesPerSecond - b.result!.messagesPerSecond)
    const pick = ok[Math.floor((ok.length - 1) / 2)] ?? all[0]!
    // A run that failed verification must not hide behind a good median.
    const bad = all.find((c) => !c.verified)
    return {
      ...pick,
      runs: ok.map((c) => c.result!.messagesPerSecond),
      verified: bad === undefined,
      ...(bad === undefined ? {} : { verifyNote: bad.verifyNote ?? bad.error ?? 'a run failed' }),
    }
  })
}

async function withSink<T>(kind: SinkKind, fn: (sink: Helper) => Promise<T>): Promise<T> {
  const sink = await Helper.sink(kind)
  try {
    return await fn(sink)
  } finally {
    await sink.close()
  }
}

async function profileOurs(opts: SmtpSuiteOptions, dir: string): Promise<SmtpSuiteResult['profile']> {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `ours-loopback-c1-r1-${new Date().toISOString().replaceAll(':', '')}.cpuprofile`)
  const spec: CaseSpec = { network: 'loopback', sink: 'fast-pipelining', connections: 1, recipients: 1, messages: Math.max(opts.loopbackMessages, 5000) }
  await withSink('fast-pipelining', (sink) => runCase(spec, 'ours', sink, sink.port, opts, file))
  if (!existsSync(file)) return undefined
  return { file, summary: summariseProfile(file) }
}

export async function runSmtpSuite(opts: SmtpSuiteOptions): Promise<SmtpSuiteResult> {
  const cases: SmtpCase[] = []
  if (opts.loopback) {
    opts.log('SMTP loopback')
    await withSink('fast-pipelining', async (sink) => {
      for (const connections of opts.connections)
        for (const recipients of opts.recipients)
          cases.push(...(await repeated({ network: 'loopback', sink: 'fast-pipelining', connections, recipients, messages: opts.loopbackMessages }, sink, opts)))
    })
    for (const kind of opts.extraLoopbackSinks) {
      await withSink(kind, async (sink) => {
        cases.push(...(await repeated({ network: 'loopback', sink: kind, connections: 1, recipients: 1, messages: opts.loopbackMessages }, sink, opts)))
      })
    }
  }
  let rtt: SmtpSuiteResult['rtt']
  if (opts.rtt) {
    const nominalMs = 2 * opts.delayMs
    opts.log(`SMTP behind a ${String(nominalMs)} ms round trip (delay relay)`)
    for (const kind of ['fast-pipelining', 'fast-chunking'] as const) {
      await withSink(kind, async (sink) => {
        const proxy = await Helper.proxy(sink.port, opts.delayMs)
        try {
          for (const client of opts.clients)
            cases.push(
              await runCase({ network: 'rtt', sink: kind, connections: 1, recipients: 1, messages: opts.rttMessages, rttMs: nominalMs }, client, sink, proxy.port, opts),
            )
        } finally {
          await proxy.close()
        }
      })
    }
    rtt = { nominalMs, bound1RttPerSec: round(1000 / nominalMs, 1) }
  }
  const profile = opts.profileDir === undefined || !opts.clients.includes('ours') ? undefined : await profileOurs(opts, opts.profileDir)
  return { cases, ...(rtt === undefined ? {} : { rtt }), ...(profile === undefined ? {} : { profile }) }
}
