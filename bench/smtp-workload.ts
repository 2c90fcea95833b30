/**
 * Child-process entry: one SMTP client workload. Builds the messages, opens the client, and sends
 * `warmup + messages` as one stream with at most `window` in flight; the first `warmup` (connections
 * opening, JIT warming) are not measured. `window` in flight lets a pipelining client overlap
 * messages on one connection. Reports messages/s, per-message latency (send() call → promise settled) and this process's CPU
 * (`process.cpuUsage()`, user + system) per message. Sinks and relays run in other processes.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
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
  /** Write a V8 CPU profile (.cpuprofile, as node --cpu-prof) of the measured phase only. */
  readonly profileFile?: string
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

/**
 * The in-process inspector is the same V8 sampling profiler as `node --cpu-prof`, but it can be
 * started and stopped around the measured phase, so start-up and module loading stay out of it.
 * Posts on an in-thread session are dispatched synchronously.
 */
function startProfiler(session: Session): void {
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.setSamplingInterval', { interval: 200 })
  session.post('Profiler.start')
}

function stopProfiler(session: Session, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    session.post('Profiler.stop', (err, result) => {
      if (err !== null) {
        reject(err)
        return
      }
      writeFileSync(file, JSON.stringify(result.profile))
      session.disconnect()
      resolve()
    })
  })
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
  const profiler = job.profileFile === undefined ? undefined : new Session()
  let next = 0
  let cpu0: NodeJS.CpuUsage | undefined
  let t0 = 0
  const lane = async (): Promise<void> => {
    while (next < total) {
      const i = next++
      if (i === job.warmup) {
        if (profiler !== undefined) startProfiler(profiler)
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
  if (profiler !== undefined && job.profileFile !== undefined) await stopProfiler(profiler, job.profileFile)
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
