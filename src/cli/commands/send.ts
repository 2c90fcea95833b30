/**
 * `alertmail send`: one SMTP session with the settings file's options, N messages over it
 * (liveness check between them: NOOP, or RSET with userSet), and a report: accepted and refused
 * recipients with replies, message ids, steps, and the redacted transcript (DESIGN.md §3).
 * Also the settings-file loader and report printing shared with `alertmail check`.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { MimeError, composeMessage } from '../../mime/index.js'
import { sendMessage } from '../../outbox/send-message.js'
import { smtpOptionsFromSettings, validateEmailSettings } from '../../settings/index.js'
import type { EmailSettings } from '../../settings/index.js'
import { SmtpClient, SmtpError, formatReply } from '../../smtp/index.js'
import type { Envelope, ErrorSummary, Reply, SendResult, SmtpOptions, Step, TranscriptEntry } from '../../smtp/index.js'

const SEND_USAGE = `Usage: alertmail send --settings FILE --to B [--to C …] [--from A] --subject S
                      (--text T | --html H | --eml FILE) [--repeat N] [--json]
`
const MAX_REPEAT = 10_000

/** Exit status 2: the command line or the settings file is wrong; nothing was sent. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export interface LoadedSettings {
  readonly settings: EmailSettings
  readonly options: SmtpOptions
  /** Every secret that must never reach the output, for the last-line scrub. */
  readonly secrets: readonly string[]
}

/**
 * Reads a settings file in the API's shape. The read-only members of a GET response
 * (`passwordSet`, `version`, `oauth2.clientSecretSet`) are dropped so a saved response works.
 */
export async function loadSettingsFile(file: string): Promise<LoadedSettings> {
  let input: unknown
  try {
    input = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    const why = e instanceof SyntaxError ? `not valid JSON (${e.message})` : 'cannot be read'
    throw new UsageError(`settings file ${file} ${why}`)
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new UsageError(`settings file ${file} must hold a JSON object`)
  const { passwordSet: _p, version: _v, ...rest } = input as Record<string, unknown>
  const oauth2 = rest['oauth2']
  if (typeof oauth2 === 'object' && oauth2 !== null) {
    const { clientSecretSet: _c, ...o } = oauth2 as Record<string, unknown>
    rest['oauth2'] = o
  }
  const envPassword = process.env['ALERTMAIL_SMTP_PASSWORD']
  if ((rest['password'] === undefined || rest['password'] === '') && envPassword) rest['password'] = envPassword
  const result = validateEmailSettings(rest)
  if (!result.ok) throw new UsageError(`settings file ${file}: ${result.errors.map((e) => e.message).join('; ')}`)
  const settings = result.value
  const secrets = [settings.password, settings.oauth2.clientSecret].filter((s): s is string => typeof s === 'string' && s.length > 0)
  return { settings, options: smtpOptionsFromSettings(settings), secrets }
}

interface MessageReport {
  readonly messageId: string | undefined
  readonly bytes: number
  readonly fragments: number
  readonly accepted: string[]
  readonly rejected: { recipient: string; reply: Reply }[]
  readonly reply: Reply
}

export async function run(argv: string[]): Promise<number> {
  let json = false
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        settings: { type: 'string' }, from: { type: 'string' }, to: { type: 'string', multiple: true },
        subject: { type: 'string' }, text: { type: 'string' }, html: { type: 'string' }, eml: { type: 'string' },
        repeat: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    })
    json = values.json === true
    if (values.help) {
      process.stdout.write(SEND_USAGE)
      return 0
    }
    if (values.settings === undefined) throw new UsageError('--settings FILE is required')
    const to = values.to ?? []
    if (to.length === 0) throw new UsageError('at least one --to is required')
    if (values.eml !== undefined && (values.text !== undefined || values.html !== undefined)) throw new UsageError('--eml cannot be combined with --text or --html')
    if (values.eml === undefined && values.text === undefined && values.html === undefined) throw new UsageError('one of --text, --html or --eml is required')
    if (values.eml === undefined && values.subject === undefined) throw new UsageError('--subject is required')
    const repeat = values.repeat === undefined ? 1 : Number(values.repeat)
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) throw new UsageError(`--repeat must be an integer from 1 to ${MAX_REPEAT}`)
    const loaded = await loadSettingsFile(values.settings)
    const from = values.from ?? (loaded.settings.fromAddress || loaded.settings.username)
    if (!from) throw new UsageError('--from is required (the settings have no fromAddress or username)')
    const eml = values.eml === undefined ? undefined : await readEml(values.eml)
    const compose: Compose = (allow8bit, messageId) =>
      eml !== undefined
        ? Promise.resolve({ raw: eml, messageId: messageIdOf(eml) })
        : composeMessage({ from, fromName: loaded.settings.fromName || undefined, to, subject: values.subject ?? '', text: values.text ?? '', html: values.html, messageId, allow8bit })
    // Bad addresses or header text are the caller's input: refuse them before connecting.
    await compose(false).catch((e: unknown) => {
      throw e instanceof MimeError ? new UsageError(e.message) : e
    })
    const report = await session(loaded, { from, to }, compose, repeat)
    const out = json ? `${JSON.stringify({ command: 'send', ...report }, null, 2)}\n` : formatSend(report)
    process.stdout.write(scrub(out, loaded.secrets))
    if (!report.ok) process.stderr.write(scrub(`alertmail send: ${oneLine(report.error)}\n`, loaded.secrets))
    return report.ok ? 0 : 1
  } catch (e) {
    return fail('send', e, json)
  }
}

type Compose = (allow8bit: boolean, messageId?: string) => Promise<{ raw: Buffer; messageId: string | undefined }>

async function session(loaded: LoadedSettings, envelope: Envelope, compose: Compose, repeat: number) {
  const transcript: TranscriptEntry[] = []
  const steps: Step[] = []
  const messages: MessageReport[] = []
  let client: SmtpClient | undefined
  let error: ErrorSummary | undefined
  // Read once while the connection is up: the TLS details are gone after destroy().
  let capabilities: SmtpClient['capabilities'] | undefined
  let tls: SmtpClient['tls'] | undefined
  try {
    client = await SmtpClient.connect(loaded.options, { trace: (e) => transcript.push(e), onStep: (s) => steps.push(s) })
    const live = client
    capabilities = live.capabilities
    tls = live.tls
    // RFC 6152: 8-bit bodies only when the setting is on and the server advertises 8BITMIME.
    const allow8bit = loaded.settings.eightBitMime && live.capabilities.eightBitMime
    for (let i = 0; i < repeat; i++) {
      if (i > 0) await live.ping()
      const { raw, messageId } = await compose(allow8bit)
      let fragments = 0
      const sender = {
        send: (env: Envelope, msg: Parameters<SmtpClient['send']>[1]) => { fragments++; return live.send(env, msg) },
        capabilities: async () => live.capabilities,
      }
      const result: SendResult = await sendMessage(sender, envelope, raw, {
        partialEmail: loaded.settings.partialEmail,
        maxMessageBytes: loaded.settings.maxMessageBytes || undefined,
        // Fragments must be 7bit: the same message (same Message-ID) re-encoded, if it comes to that.
        compose7bit: async () => (await compose(false, messageId)).raw,
      })
      messages.push({ messageId, bytes: raw.length, fragments, accepted: result.accepted, rejected: result.rejected, reply: result.reply })
    }
    await live.quit()
  } catch (e) {
    error = summarise(e)
    // A refusal before any data (ERR_SMTP_SIZE, a refused recipient) leaves a usable session: end it politely.
    if (client?.alive) await client.quit().catch(() => { client?.destroy() })
    else client?.destroy()
  }
  return { ok: error === undefined, messages, capabilities, tls, steps, transcript, ...(error ? { error } : {}) }
}

type SendReport = Awaited<ReturnType<typeof session>>

function formatSend(r: SendReport): string {
  const lines: string[] = []
  r.messages.forEach((m, i) => {
    const n = r.messages.length > 1 ? ` ${i + 1}/${r.messages.length}` : ''
    lines.push(`message${n} ${m.messageId ?? '(no Message-ID)'}: ${m.bytes} octets${m.fragments > 1 ? ` as ${m.fragments} message/partial fragments` : ''}`)
    for (const a of m.accepted) lines.push(`  accepted  ${a}`)
    for (const x of m.rejected) lines.push(`  refused   ${x.recipient}  ${formatReply(x.reply)}`)
    lines.push(`  reply     ${formatReply(m.reply)}`)
  })
  if (r.tls) lines.push(`tls: ${r.tls.protocol} ${r.tls.cipher} (certificate ${r.tls.authorized ? 'verified' : 'NOT verified'})`)
  return lines.join('\n') + '\n' + formatSteps(r.steps, r.transcript) + (r.error ? `error: ${oneLine(r.error)}\n` : '')
}

export function formatSteps(steps: readonly Step[], transcript: readonly TranscriptEntry[]): string {
  const lines = ['steps:']
  for (const s of steps) lines.push(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.step.padEnd(9)} ${String(s.ms).padStart(5)} ms${s.reply ? `  ${s.reply}` : ''}`)
  lines.push('transcript:')
  for (const t of transcript) lines.push(`  ${String(t.at).padStart(6)} ms ${t.dir} ${t.line}`)
  return lines.join('\n') + '\n'
}

export function summarise(e: unknown): ErrorSummary {
  if (e instanceof SmtpError) {
    return { code: e.code, message: e.message, retry: e.retry, ...(e.command ? { command: e.command } : {}), ...(e.reply ? { reply: e.reply } : {}) }
  }
  return { code: 'ERR_SMTP_PROTOCOL', message: e instanceof Error ? e.message : String(e), retry: 'transient' }
}

export function oneLine(error: ErrorSummary | undefined): string {
  if (!error) return 'failed'
  const reply = error.reply ? ` (server: ${formatReply(error.reply)})` : ''
  return `${error.code}: ${error.message}${reply}`.replace(/\s*[\r\n]+\s*/g, ' ')
}

/**
 * Defence in depth: the client redacts AUTH at the source, but nothing we print may hold a
 * secret, whatever path it took (the raw password, and its base64 forms used by LOGIN/PLAIN).
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) {
    for (const form of [s, Buffer.from(s).toString('base64')]) out = out.split(form).join('[redacted]')
  }
  return out
}

export function fail(command: string, e: unknown, json: boolean): number {
  const usage = e instanceof UsageError || (e instanceof TypeError && (e as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS'))
  const message = e instanceof Error ? e.message : String(e)
  if (json) process.stdout.write(`${JSON.stringify({ command, ok: false, error: { code: usage ? 'ERR_USAGE' : 'ERR_CLI', message } })}\n`)
  process.stderr.write(`alertmail ${command}: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`)
  return usage ? 2 : 1
}

async function readEml(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch {
    throw new UsageError(`--eml ${file} cannot be read`)
  }
}

function messageIdOf(raw: Buffer): string | undefined {
  const head = raw.subarray(0, Math.max(0, raw.indexOf('\n\n') >= 0 ? raw.indexOf('\n\n') : raw.length)).toString('latin1')
  return /^message-id:\s*(<[^>\r\n]*>)/im.exec(head)?.[1]
}
