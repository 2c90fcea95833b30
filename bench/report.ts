/**
 * The readable side of a run: fixed-width tables on stderr (stdout carries the JSON).
 */
import type { ServiceSuiteResult } from './service-suite.js'
import type { SmtpSuiteResult } from './smtp-suite.js'
import type { Ratio, TargetCheck } from './targets.js'

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

const n = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : String(v))

export function renderReport(
  smtp: SmtpSuiteResult | undefined,
  ratios: readonly Ratio[],
  service: ServiceSuiteResult | undefined,
  targets: readonly TargetCheck[],
): string {
  const out: string[] = []
  if (smtp !== undefined && smtp.cases.length > 0) {
    out.push('SMTP (2 KB messages; client CPU = process.cpuUsage() of the client process only)')
    out.push(
      table(
        ['network', 'sink', 'client', 'conn', 'rcpt', 'msg/s', 'runs', 'p50 ms', 'p99 ms', 'CPU ms/msg', 'RT/msg', 'RTT ms', '% of 1-RT bound', 'BDAT', 'verified'],
        smtp.cases.map((c) => [
          c.network === 'rtt' ? `${n(c.rttMs)} ms RTT` : 'loopback',
          c.sink,
          c.client,
          String(c.connections),
          String(c.recipients),
          c.result === undefined ? `FAILED: ${c.error ?? ''}` : n(c.result.messagesPerSecond),
          c.runs === undefined || c.runs.length < 2 ? '' : c.runs.map((r) => String(Math.round(r))).join('/'),
          n(c.result?.p50Ms),
          n(c.result?.p99Ms),
          n(c.result?.cpuMsPerMessage),
          c.sink === 'smtp-server' ? '—' : n(c.roundTripsPerMessage),
          n(c.measuredRttMs),
          c.boundFraction === undefined ? '' : `${String(Math.round(100 * c.boundFraction))}%`,
          c.bdatMessages > 0 ? 'yes' : 'no',
          c.verified ? 'yes' : `NO ${c.verifyNote ?? ''}`,
        ]),
      ),
    )
    if (smtp.rtt !== undefined)
      out.push(
        `RTT: nominal ${String(smtp.rtt.nominalMs)} ms (bound 1 RT/msg = ${String(smtp.rtt.bound1RttPerSec)} msg/s, ` +
          `2 RT/msg = ${String(smtp.rtt.bound1RttPerSec / 2)} msg/s); "RTT ms" is the median NOOP round trip through the relay ` +
          `measured while each case ran, and "% of 1-RT bound" = msg/s × measured RTT.`,
      )
    out.push('')
    out.push('Ratios ours / nodemailer (throughput > 1 and CPU, p50 < 1 favour ours)')
    out.push(table(['pair', 'msg/s', 'CPU/msg', 'p50'], ratios.map((r) => [r.pair, `${String(r.throughput)}×`, `${String(r.cpu)}×`, `${String(r.p50)}×`])))
    if (smtp.profile !== undefined) {
      out.push('')
      out.push(`Profile of ours (loopback, 1 connection): ${smtp.profile.file}`)
      out.push(table(['self ms', '%', 'function'], smtp.profile.summary.topFunctions.slice(0, 15).map((e) => [String(e.selfMs), String(e.percent), e.name])))
    }
  }
  if (service !== undefined) {
    out.push('')
    if (!service.measured) out.push(`Service: not measured — ${service.note ?? ''}`)
    else {
      out.push('Service (alertmail serve as a child process)')
      if (service.note !== undefined) out.push(`note: ${service.note}`)
      out.push(
        table(
          ['db', 'events/request', 'events/s', 'serve CPU ms/event', 'requests', 'errors'],
          service.ingest.map((i) => [i.db, String(i.batch), n(i.eventsPerSecond), n(i.serveCpuMsPerEvent), String(i.requests), String(i.errors)]),
        ),
      )
      const l = service.latency
      if (l !== undefined)
        out.push(
          `event → relay at ${String(l.offeredPerSecond)}/s after a ${String(l.warmupEvents)}-event warm-up: p50 ${n(l.p50Ms)} ms, p99 ${n(l.p99Ms)} ms ` +
            `(${String(l.delivered)}/${String(l.events)} delivered); warm-up p99 ${n(l.warmupP99Ms)} ms; serve CPU ${n(l.serveCpuMsPerEvent)} ms/event`,
        )
      if (l?.profile !== undefined) {
        out.push(`Profile of serve during the latency case: ${l.profile.file}`)
        out.push(table(['self ms', '%', 'function'], l.profile.summary.topFunctions.slice(0, 20).map((e) => [String(e.selfMs), String(e.percent), e.name])))
        out.push(table(['self ms', '%', 'file'], l.profile.summary.byFile.slice(0, 15).map((e) => [String(e.selfMs), String(e.percent), e.name])))
        out.push(table(['incl ms', '%', 'function (on the stack)'], l.profile.summary.inclusive.slice(0, 40).map((e) => [String(e.selfMs), String(e.percent), e.name])))
      }
      const m = service.memory
      if (m !== undefined)
        out.push(
          `RSS idle ${n(m.idleRssMb)} MB; with ${String(m.queued)} queued ${n(m.queuedRssMb)} MB; drain peak ${n(m.drainPeakRssMb)} MB ` +
            `(+${n(m.drainGrowthPercent)} %), ${String(m.drainedMessages)} messages in ${n(m.drainSeconds)} s (${n(m.drainMessagesPerSecond)}/s, serve CPU ${n(m.drainServeCpuMsPerMessage)} ms/message); after drain ${n(m.afterDrainRssMb)} MB`,
        )
      for (const e of service.errors) out.push(`error: ${e}`)
    }
  }
  out.push('')
  out.push('Targets (issue 8)')
  out.push(table(['status', 'value', 'target'], targets.map((t) => [t.status.toUpperCase(), t.value, t.target])))
  return out.join('\n')
}
