import type { RejectedRecipient, Retry, SmtpErrorCode } from './errors.js'
import type { Reply } from './reply.js'

/** A whole RFC 5322 message. The client normalises CRLF, dot-stuffs (or uses BDAT) and detects 8-bit bytes. */
export type MessageInput = Buffer | Uint8Array | string

/**
 * Partial results are data (STYLE.md §2.5): refused recipients do not throw while one is accepted.
 * A send of more than maxRecipientsPerMessage recipients takes several transactions, merged here
 * (SendPlan in send-plan.ts says how each recipient ends up in `accepted` or `rejected`).
 */
export interface SendResult {
  readonly accepted: string[]
  readonly rejected: RejectedRecipient[]
  /** The reply to the end of data (or BDAT LAST) of the last transaction the server accepted. */
  readonly reply: Reply
}

export const STEP_NAMES = ['connect', 'greeting', 'ehlo', 'helo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'quit'] as const
export type StepName = (typeof STEP_NAMES)[number]

export interface Step {
  readonly step: StepName
  readonly ok: boolean
  readonly ms: number
  /** The server's reply on one line (`250 2.1.0 Ok`), when there was one. */
  readonly reply?: string
}

export interface TranscriptEntry {
  /** ms since session start */
  readonly at: number
  /** C: client line, S: server line, *: event (connected, TLS up, n bytes of data). */
  readonly dir: 'C' | 'S' | '*'
  /** AUTH secrets already redacted. */
  readonly line: string
}

export interface TlsInfo {
  readonly protocol: string
  readonly cipher: string
  readonly authorized: boolean
}

export interface SessionContext {
  readonly signal?: AbortSignal | undefined
  readonly trace?: ((e: TranscriptEntry) => void) | undefined
  readonly onStep?: ((s: Step) => void) | undefined
}

export interface SendOptions {
  readonly signal?: AbortSignal | undefined
}

/** The never-throwing form of an SmtpError, for reports and APIs. */
export interface ErrorSummary {
  readonly code: SmtpErrorCode
  readonly message: string
  readonly command?: string
  readonly reply?: Reply
  readonly retry: Retry
}
