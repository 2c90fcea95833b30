/**
 * Child-process entry: one SMTP client workload. Builds the messages, opens the client, sends a
 * warm-up batch (connections open, JIT warm), then measures `messages` sends with at most `window`
 * in flight (so a pipelining client can overlap messages on one connection), and reports
 * messages/s, per-message latency (send() call → promise settled) and this process's CPU
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
  const phase = async (start: number, count: number, record: boolean): Promise<void> => {
    let next = start
    const end = start + count
    const lane = async (): Promise<void> => {
      while (next < end) {
        const raw = messages[next++]!
        const t0 = performance.now()
        try {
          await client.send(FROM, to, raw)
          if (record) latencies.push(performance.now() - t0)
        } catch (err) {
          failed++
          firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(job.window, count) }, lane))
  }

  await phase(0, job.warmup, false)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await phase(job.warmup, job.messages, true)
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
