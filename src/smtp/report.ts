import type { Capabilities } from './capabilities.js'
import { SmtpClient } from './client.js'
import { SmtpError } from './errors.js'
import type { Envelope, SmtpOptions } from './options.js'
import { recipientsPerTransaction } from './send-plan.js'
import { checkRecipientCount } from './transaction.js'
import type { ErrorSummary, MessageInput, SendOptions, SendResult, SessionContext, Step, TlsInfo, TranscriptEntry } from './types.js'

export interface SendReport {
  readonly ok: boolean
  readonly steps: Step[]
  readonly transcript: TranscriptEntry[]
  readonly result?: SendResult
  readonly error?: ErrorSummary
}

export interface CheckReport {
  readonly ok: boolean
  readonly steps: Step[]
  readonly transcript: TranscriptEntry[]
  readonly capabilities?: Capabilities
  readonly tls?: TlsInfo
  readonly error?: ErrorSummary
}

/**
 * One whole session, connect → QUIT, for Send Test Mail and `alertmail send`. Never throws: the
 * outcome, each step and the redacted transcript are data.
 *
 * @example
 * const report = await sendWithReport(opts, { from, to: [admin] }, raw)
 * if (!report.ok) console.log(report.error?.code, report.steps.at(-1))
 */
export async function sendWithReport(opts: SmtpOptions, envelope: Envelope, message: MessageInput, o: SendOptions = {}): Promise<SendReport> {
  const { ctx, steps, transcript } = recorder(o.signal)
  let client: SmtpClient | undefined
  try {
    // Refused before connecting: nothing on the wire for an envelope we would not send.
    checkRecipientCount(envelope)
    recipientsPerTransaction(opts)
    client = await SmtpClient.connect(opts, ctx)
    const result = await client.send(envelope, message, { signal: o.signal })
    await client.quit()
    return { ok: true, steps, transcript, result }
  } catch (e) {
    await client?.quit()
    return { ok: false, steps, transcript, error: summarizeError(e) }
  }
}

/** Connect, greet, upgrade, authenticate, report capabilities and TLS, QUIT. Never throws. */
export async function checkServer(opts: SmtpOptions, o: SendOptions = {}): Promise<CheckReport> {
  const { ctx, steps, transcript } = recorder(o.signal)
  try {
    const client = await SmtpClient.connect(opts, ctx)
    const { capabilities, tls } = client
    await client.quit()
    return tls === undefined ? { ok: true, steps, transcript, capabilities } : { ok: true, steps, transcript, capabilities, tls }
  } catch (e) {
    return { ok: false, steps, transcript, error: summarizeError(e) }
  }
}

/** The JSON-safe form of any error: SmtpError keeps its code; anything else is a protocol fault. */
export function summarizeError(e: unknown): ErrorSummary {
  if (e instanceof SmtpError) {
    return {
      code: e.code,
      message: e.message,
      retry: e.retry,
      ...(e.command === undefined ? {} : { command: e.command }),
      ...(e.reply === undefined ? {} : { reply: e.reply }),
    }
  }
  const message = e instanceof Error ? e.message : String(e)
  return { code: 'ERR_SMTP_PROTOCOL', message, retry: 'transient' }
}

function recorder(signal: AbortSignal | undefined): { ctx: SessionContext; steps: Step[]; transcript: TranscriptEntry[] } {
  const steps: Step[] = []
  const transcript: TranscriptEntry[] = []
  return { ctx: { signal, trace: (e) => transcript.push(e), onStep: (s) => steps.push(s) }, steps, transcript }
}
