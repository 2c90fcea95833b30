/**
 * The targets of issue 8, checked against a run, and the ours/nodemailer ratios per case pair.
 */
import type { ServiceSuiteResult } from './service-suite.js'
import type { SmtpCase, SmtpSuiteResult } from './smtp-suite.js'
import { round } from './stats.js'

export type TargetStatus = 'met' | 'not met' | 'not measured'

export interface TargetCheck {
  readonly target: string
  readonly value: string
  readonly status: TargetStatus
}

export interface Ratio {
  readonly pair: string
  /** ours / nodemailer messages per second (>1: we are faster). */
  readonly throughput: number
  /** ours / nodemailer client CPU per message (<1: we use less). */
  readonly cpu: number
  /** ours / nodemailer p50 latency (<1: we are quicker). */
  readonly p50: number
}

function pairKey(c: SmtpCase): string {
  return `${c.network}/${c.sink}/c${String(c.connections)}/r${String(c.recipients)}`
}

export function ratios(cases: readonly SmtpCase[]): Ratio[] {
  const out: Ratio[] = []
  for (const o of cases) {
    if (o.client !== 'ours' || o.result === undefined) continue
    const n = cases.find((c) => c.client === 'nodemailer' && pairKey(c) === pairKey(o))
    if (n?.result === undefined) continue
    out.push({
      pair: pairKey(o),
      throughput: round(o.result.messagesPerSecond / n.result.messagesPerSecond, 2),
      cpu: round(o.result.cpuMsPerMessage / n.result.cpuMsPerMessage, 2),
      p50: round(o.result.p50Ms / n.result.p50Ms, 2),
    })
  }
  return out
}

function find(cases: readonly SmtpCase[], network: string, sink: string, client: string): SmtpCase | undefined {
  return cases.find((c) => c.network === network && c.sink === sink && c.client === client && c.connections === 1 && c.recipients === 1)
}

function check(target: string, value: number | undefined, ok: (v: number) => boolean, unit: string): TargetCheck {
  if (value === undefined || !Number.isFinite(value)) return { target, value: '—', status: 'not measured' }
  return { target, value: `${String(round(value, 2))}${unit}`, status: ok(value) ? 'met' : 'not met' }
}

export function checkTargets(smtp: SmtpSuiteResult | undefined, service: ServiceSuiteResult | undefined): TargetCheck[] {
  const cases = smtp?.cases ?? []
  const rs = ratios(cases)
  const r = (pair: string): number | undefined => rs.find((x) => x.pair === pair)?.throughput
  const verifiedOurs = (c: SmtpCase | undefined): SmtpCase | undefined => (c?.verified === true ? c : undefined)
  const loop = verifiedOurs(find(cases, 'loopback', 'fast-pipelining', 'ours'))
  const rttP = verifiedOurs(find(cases, 'rtt', 'fast-pipelining', 'ours'))
  const rttC = verifiedOurs(find(cases, 'rtt', 'fast-chunking', 'ours'))
  const checks: TargetCheck[] = [
    check('loopback, 1 connection: ≥ 2× nodemailer messages/s', loop && r('loopback/fast-pipelining/c1/r1'), (v) => v >= 2, '×'),
    check('loopback, 1 connection: ≤ 0.4 ms client CPU per message', loop?.result?.cpuMsPerMessage, (v) => v <= 0.4, ' ms'),
    check('20 ms RTT, PIPELINING sink: ≥ 90% of the 1-RT bound at the measured RTT', rttP?.boundFraction, (v) => v >= 0.9, ' of bound'),
    check('20 ms RTT, PIPELINING sink: ≥ 45 messages/s absolute (needs the relay to hold 20 ms)', rttP?.result?.messagesPerSecond, (v) => v >= 45, ' msg/s'),
    check('20 ms RTT, PIPELINING sink: ≥ 2× nodemailer', rttP && r('rtt/fast-pipelining/c1/r1'), (v) => v >= 2, '×'),
    check('20 ms RTT, CHUNKING sink: ≥ 90% of the 1-RT bound at the measured RTT', rttC?.boundFraction, (v) => v >= 0.9, ' of bound'),
    check('20 ms RTT, CHUNKING sink: ≥ 45 messages/s absolute (needs the relay to hold 20 ms)', rttC?.result?.messagesPerSecond, (v) => v >= 45, ' msg/s'),
    check('20 ms RTT, CHUNKING sink: ≥ 2× nodemailer', rttC && r('rtt/fast-chunking/c1/r1'), (v) => v >= 2, '×'),
  ]
  const s = service
  const lat = s?.latency
  const mem = s?.memory
  // A figure over an incomplete run is not the figure: nothing delivered is a failure, not a
  // fast p99; a queue that never filled says nothing about RSS at 100,000.
  const failed = (target: string, value: string): TargetCheck => ({ target, value, status: 'not met' })
  const queuedOk = mem !== undefined && mem.queued >= 0.95 * mem.requested
  const perQueued = mem === undefined ? '' : ` (${String(mem.queued)} of ${String(mem.requested)} queued)`
  checks.push(
    check('SQLite: ≥ 5,000 events/s accepted in batches of 100', s?.ingest.find((x) => x.db === 'sqlite' && x.batch === 100)?.eventsPerSecond, (v) => v >= 5000, ' ev/s'),
    check('SQLite: ≥ 1,500 events/s one per request', s?.ingest.find((x) => x.db === 'sqlite' && x.batch === 1)?.eventsPerSecond, (v) => v >= 1500, ' ev/s'),
    lat !== undefined && lat.delivered < lat.events
      ? failed('event → relay p99 < 250 ms at 200 events/s (steady: after 1 s at that rate)', `${String(lat.delivered)}/${String(lat.events)} delivered, p99 ${String(lat.p99Ms)} ms`)
      : check('event → relay p99 < 250 ms at 200 events/s (steady: after 1 s at that rate)', lat?.p99Ms, (v) => v < 250, ' ms'),
    check('idle RSS < 120 MB', mem?.idleRssMb, (v) => v < 120, ' MB'),
    mem !== undefined && !queuedOk
      ? failed(`RSS with ${String(mem.requested)} queued notifications < 300 MB`, `queue reached only ${String(mem.queued)}`)
      : check(`RSS with ${String(mem?.requested ?? 100_000)} queued notifications < 300 MB`, mem?.queuedRssMb, (v) => v < 300, ` MB${perQueued}`),
    mem !== undefined && (!queuedOk || mem.drainedMessages < mem.queued)
      ? failed('queue drains without the process growing (peak RSS ≤ queued RSS + 10%)', `drained ${String(mem.drainedMessages)} of ${String(mem.queued)}`)
      : check('queue drains without the process growing (peak RSS ≤ queued RSS + 10%)', mem?.drainGrowthPercent, (v) => v <= 10, ' %'),
  )
  return checks
}
