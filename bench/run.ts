/**
 * `npm run bench`: SMTP throughput of our SmtpPool vs nodemailer (loopback and behind a 20 ms
 * round trip) and the service figures of `alertmail serve`. Prints JSON on stdout (and writes it to
 * bench/results/latest.json for a full run, or to --out), and readable tables on stderr.
 *
 *   npm run bench                          full run (a few minutes on 2 cores)
 *   npm run bench -- --quick               fewer messages, shorter phases
 *   npm run bench -- --only=loopback,rtt   subsets: loopback, rtt, service (smtp = loopback,rtt)
 *   npm run bench -- --clients=ours        one client only
 *   npm run bench -- --no-profile          skip the --cpu-prof run of our client
 *   npm run bench -- --no-postgres         service figures on SQLite only
 *   npm run bench -- --only=service --service-cases=latency,memory   some service cases (ingest, latency, memory)
 *   npm run bench -- --only=service --service-cases=latency --serve-profile   the latency case's serve under --cpu-prof
 *   other flags: --messages=N --rtt-messages=N --window=N --delay-ms=N --repeat=N --queued=N --out=FILE
 * Every flag can also be given as an environment variable: BENCH_QUICK=1, BENCH_ONLY=rtt, …
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClientName } from './clients.js'
import { CLIENTS } from './clients.js'
import { renderReport } from './report.js'
import type { ServiceSuiteResult } from './service-suite.js'
import { runServiceSuite, SERVICE_CASES, type ServiceCase } from './service-suite.js'
import type { SmtpSuiteResult } from './smtp-suite.js'
import { runSmtpSuite } from './smtp-suite.js'
import { checkTargets, ratios } from './targets.js'

const USAGE = `usage: npm run bench -- [--quick] [--only=loopback,rtt,service] [--clients=ours,nodemailer]
  [--no-profile] [--no-postgres] [--service-cases=ingest,latency,memory] [--serve-profile] [--messages=N] [--rtt-messages=N] [--window=N] [--delay-ms=N]
  [--repeat=N] [--queued=N] [--out=FILE]`

function flags(argv: readonly string[]): Map<string, string> {
  const m = new Map<string, string>()
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BENCH_') && v !== undefined) m.set(k.slice(6).toLowerCase().replaceAll('_', '-'), v)
  }
  for (const a of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(a)
    if (match === null) throw new Error(`unknown argument ${a}\n${USAGE}`)
    const [, key = '', value = 'true'] = match
    if (key.startsWith('no-')) m.set(key.slice(3), 'false')
    else m.set(key, value)
  }
  return m
}

function int(m: Map<string, string>, key: string, fallback: number): number {
  const v = m.get(key)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${key} must be a positive integer`)
  return n
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2))
  if (f.get('help') === 'true') {
    process.stderr.write(`${USAGE}\n`)
    return
  }
  const quick = f.get('quick') === 'true' || f.get('quick') === '1'
  const only = new Set((f.get('only') ?? 'loopback,rtt,service').split(',').flatMap((s) => (s === 'smtp' ? ['loopback', 'rtt'] : [s.trim()])))
  const clients = (f.get('clients') ?? CLIENTS.join(',')).split(',').map((s) => s.trim()) as ClientName[]
  for (const c of clients) if (!CLIENTS.includes(c)) throw new Error(`unknown client ${c}`)
  const serviceCases = (f.get('service-cases') ?? SERVICE_CASES.join(',')).split(',').map((s) => s.trim()) as ServiceCase[]
  for (const c of serviceCases) if (!SERVICE_CASES.includes(c)) throw new Error(`unknown service case ${c}\n${USAGE}`)
  const partial = quick || ['only', 'clients', 'messages', 'rtt-messages', 'queued', 'postgres', 'repeat', 'service-cases'].some((k) => f.has(k))
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  const out = f.get('out') ?? (partial ? undefined : join(root, 'bench', 'results', 'latest.json'))
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`)
  }

  const started = new Date()
  const loadBefore = os.loadavg()
  log(`alertmail bench — ${started.toISOString()}, node ${process.version}, ${String(os.cpus().length)} CPUs${quick ? ', quick' : ''}`)

  let smtp: SmtpSuiteResult | undefined
  if (only.has('loopback') || only.has('rtt')) {
    smtp = await runSmtpSuite({
      clients,
      loopback: only.has('loopback'),
      rtt: only.has('rtt'),
      loopbackMessages: int(f, 'messages', quick ? 1500 : 2000),
      rttMessages: int(f, 'rtt-messages', quick ? 100 : 300),
      messageBytes: 2048,
      window: int(f, 'window', 8),
      delayMs: int(f, 'delay-ms', 10),
      connections: [1, 4],
      recipients: [1, 5],
      extraLoopbackSinks: quick ? [] : ['fast-chunking', 'smtp-server'],
      repeat: int(f, 'repeat', quick ? 1 : 5),
      ...(f.get('profile') === 'false' ? {} : { profileDir: join(os.tmpdir(), 'alertmail-bench-profiles') }),
      log,
    })
  }
  let service: ServiceSuiteResult | undefined
  if (only.has('service'))
    service = await runServiceSuite({
      quick,
      cases: serviceCases,
      ...(f.get('serve-profile') === 'true' ? { profileDir: join(os.tmpdir(), 'alertmail-bench-profiles') } : {}),
      postgres: f.get('postgres') !== 'false',
      queued: int(f, 'queued', quick ? 20_000 : 100_000),
      log,
    })

  const rs = ratios(smtp?.cases ?? [])
  const targets = checkTargets(smtp, service)
  const result = {
    meta: {
      date: started.toISOString(),
      seconds: Math.round((Date.now() - started.getTime()) / 1000),
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      loadAverageBefore: loadBefore.map((x) => Math.round(x * 100) / 100),
      quick,
      only: [...only],
      clients,
    },
    smtp,
    ratios: rs,
    service,
    targets,
  }
  log('')
  log(renderReport(smtp, rs, service, targets))
  log(`\nwhole run: ${String(result.meta.seconds)} s`)
  const json = `${JSON.stringify(result, null, 2)}\n`
  if (out !== undefined) {
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, json)
    log(`JSON written to ${out}`)
  }
  process.stdout.write(json)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exitCode = 1
})
