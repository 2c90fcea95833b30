/**
 * `alertmail check`: connect, greet, upgrade, authenticate, report capabilities and TLS
 * details, QUIT — no MAIL transaction (DESIGN.md §3).
 */
import { parseArgs } from 'node:util'
import { checkServer } from '../../smtp/index.js'
import type { CheckReport } from '../../smtp/index.js'
import { UsageError, fail, formatSteps, loadSettingsFile, oneLine, scrub } from './send.js'

const CHECK_USAGE = 'Usage: alertmail check --settings FILE [--json]\n'

export async function run(argv: string[]): Promise<number> {
  let json = false
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: { settings: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    })
    json = values.json === true
    if (values.help) {
      process.stdout.write(CHECK_USAGE)
      return 0
    }
    if (values.settings === undefined) throw new UsageError('--settings FILE is required')
    const loaded = await loadSettingsFile(values.settings)
    const report = await checkServer(loaded.options)
    const server = { host: loaded.settings.host, port: loaded.settings.port, encryption: loaded.settings.encryption }
    const out = json ? `${JSON.stringify({ command: 'check', server, ...report }, null, 2)}\n` : formatCheck(server, report)
    process.stdout.write(scrub(out, loaded.secrets))
    if (!report.ok) process.stderr.write(scrub(`alertmail check: ${oneLine(report.error)}\n`, loaded.secrets))
    return report.ok ? 0 : 1
  } catch (e) {
    return fail('check', e, json)
  }
}

function formatCheck(server: { host: string; port: number; encryption: string }, r: CheckReport): string {
  const lines = [`server: ${server.host}:${server.port} (encryption ${server.encryption}) ${r.ok ? 'OK' : 'FAILED'}`]
  if (r.tls) lines.push(`tls: ${r.tls.protocol} ${r.tls.cipher} (certificate ${r.tls.authorized ? 'verified' : 'NOT verified'})`)
  else lines.push('tls: none')
  const c = r.capabilities
  if (c) {
    const flags = [
      ['PIPELINING', c.pipelining], ['CHUNKING', c.chunking], ['8BITMIME', c.eightBitMime], ['SMTPUTF8', c.smtpUtf8],
      ['DSN', c.dsn], ['STARTTLS', c.startTls], ['ENHANCEDSTATUSCODES', c.enhancedStatusCodes],
    ] as const
    lines.push(`capabilities: ${flags.filter(([, on]) => on).map(([name]) => name).join(' ') || '(none)'}`)
    lines.push(`  SIZE ${c.size ?? '(not advertised)'}`)
    lines.push(`  AUTH ${c.auth.length > 0 ? c.auth.join(' ') : '(none)'}`)
  }
  return lines.join('\n') + '\n' + formatSteps(r.steps, r.transcript) + (r.error ? `error: ${oneLine(r.error)}\n` : '')
}
