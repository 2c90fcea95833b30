/**
 * Child-process entry: one SMTP client workload. Builds the messages, opens the client, and sends
 * `warmup + messages` as one stream with at most `window` in flight; the first `warmup` (connections
 * opening, JIT warming) are not measured. `window` in flight lets a pipelining client overlap
 * messages on one connection. Reports messages/s, per-message latency (send() call → promise settled) and this process's CPU
 * (`process.cpuUsage()`, user + system) per message. Sinks and relays run in other processes.
 */
import { performance } from 'node:perf_hooks'
import type { ClientName } from './clients.js'
import { createClient } from './clients.js'
import { buildMessages, FROM, recipients } from './messages.js'
import { percentile, round } from './stats.js'

export interface SmtpJob {
  readonly client: ClientName
  readonly host: string
  readonly port: number
  readonly connections: number
  readonly recipients: number
  readonly messages: number
  readonly warmup: number
  readonly window: number
  readonly messageBytes: number
}

export interface SmtpJobResult {
  readonly sent: number
  readonly failed: number
  readonly firstError?: string
  readonly seconds: number
  readonly messagesPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly cpuMsPerMessage: number
}

async function runJob(job: SmtpJob): Promise<SmtpJobResult> {
  const to = recipients(job.recipients)
  const total = job.warmup + job.messages
  const messages = buildMessages(total, job.messageBytes, to)
  const client = await createClient(job.client, { host: job.host, port: job.port, connections: job.connections })

  let failed = 0
  let firstError: string | undefined
  const latencies: number[] = []
  // One continuous stream: the warm-up messages are simply the first ones, and the clock and the
  // CPU counter start when the first measured message is handed over. (A pause between two phases
  // would let the pool's connections go idle and time a reuse check that a steady stream never pays.)
  let next = 0
  let cpu0: NodeJS.CpuUsage | undefined
  let t0 = 0
  const lane = async (): Promise<void> => {
    while (next < total) {
      const i = next++
      if (i === job.warmup) {
        cpu0 = process.cpuUsage()
        t0 = performance.now()
      }
      const start = performance.now()
      try {
        await client.send(FROM, to, messages[i]!)
        if (i >= job.warmup) latencies.push(performance.now() - start)
      } catch (err) {
        failed++
        firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(job.window, total) }, lane))
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  await client.close()

  const sent = latencies.length
  return {
    sent,
    failed,
    ...(firstError === undefined ? {} : { firstError }),
    seconds: round(seconds, 3),
    messagesPerSecond: round(sent / seconds, 1),
    p50Ms: round(percentile(latencies, 50), 3),
    p99Ms: round(percentile(latencies, 99), 3),
    cpuMsPerMessage: round((cpu.user + cpu.system) / 1000 / Math.max(1, sent), 4),
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as SmtpJob
runJob(job).then(
  (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
  (err: unknown) => process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1)),
)
