import type { Capabilities } from './capabilities.js'
import type { Envelope, SmtpOptions } from './options.js'
import type { ErrorSummary, MessageInput, SendOptions, SendResult, Step, TlsInfo, TranscriptEntry } from './types.js'

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

/** One whole session (connect → QUIT) that never throws. (Contract stub.) */
export async function sendWithReport(_opts: SmtpOptions, _envelope: Envelope, _message: MessageInput, _o: SendOptions = {}): Promise<SendReport> {
  return { ok: false, steps: [], transcript: [], error: { code: 'ERR_SMTP_CONFIG', message: 'not implemented yet', retry: 'transient' } }
}

export async function checkServer(_opts: SmtpOptions, _o: SendOptions = {}): Promise<CheckReport> {
  return { ok: false, steps: [], transcript: [], error: { code: 'ERR_SMTP_CONFIG', message: 'not implemented yet', retry: 'transient' } }
}
