import type { Reply } from './reply.js'

export type Retry = 'transient' | 'permanent'

/**
 * Every SmtpError code, what it means, and what happens to the message (STYLE.md §2.5).
 * `by-reply`: the server's words decide (RFC 3463 class of the enhanced code wins over the basic
 * code: 4 ⇒ transient, 5 ⇒ permanent); without a reply the fallback applies.
 * docs/errors.md lists the same codes; test/smtp/errors-doc.test.ts keeps them in step.
 */
export const SMTP_ERRORS = {
  ERR_SMTP_CONNECT: { retry: 'transient', meaning: 'TCP connection failed (refused, unreachable, DNS).' },
  ERR_SMTP_TIMEOUT: { retry: 'transient', meaning: 'connectionTimeoutMs or socketTimeoutMs elapsed.' },
  ERR_SMTP_CLOSED: { retry: 'transient', meaning: 'The server closed or reset the connection mid-session.' },
  ERR_SMTP_TLS: { retry: 'transient', meaning: 'TLS failed: handshake, certificate check, or STARTTLS required and not offered. Our configuration, not the message.' },
  ERR_SMTP_AUTH: { retry: 'transient', meaning: 'Authentication failed (e.g. 535) or no usable mechanism. Our configuration, not the message.' },
  ERR_SMTP_REJECTED: { retry: 'by-reply', fallback: 'transient', meaning: 'The server refused a command (greeting, MAIL, every RCPT, DATA).' },
  ERR_SMTP_PROTOCOL: { retry: 'transient', meaning: 'The server broke the protocol: garbage or unexpected reply.' },
  ERR_SMTP_SIZE: { retry: 'permanent', meaning: 'The message exceeds the SIZE the server advertised (RFC 1870) or it said 5.3.4.' },
  ERR_SMTP_UNSUPPORTED: { retry: 'permanent', meaning: 'The message needs an extension the server lacks (8-bit body without 8BITMIME, non-ASCII address without SMTPUTF8).' },
  ERR_SMTP_ENVELOPE: { retry: 'permanent', meaning: 'Invalid envelope: no recipient, more than MAX_RECIPIENTS_PER_SEND (10,000) recipients, or an address with CR, LF, NUL or angle brackets.' },
  ERR_SMTP_ABORTED: { retry: 'transient', meaning: 'Cancelled by the caller (AbortSignal) or the pool closed.' },
  ERR_SMTP_CONFIG: { retry: 'transient', meaning: 'The options forbid this session: auth required but HELO-only, credentials refused in clear text, missing password or token.' },
} as const satisfies Record<string, { retry: Retry | 'by-reply'; fallback?: Retry; meaning: string }>

export type SmtpErrorCode = keyof typeof SMTP_ERRORS
export const SMTP_ERROR_CODES = Object.keys(SMTP_ERRORS) as SmtpErrorCode[]

/** The one place that decides whether a failure is worth retrying. Never looks at reply text. */
export function classify(code: SmtpErrorCode, reply?: Reply): Retry {
  const row: { retry: Retry | 'by-reply'; fallback?: Retry } = SMTP_ERRORS[code]
  if (row.retry !== 'by-reply') return row.retry
  if (reply === undefined) return row.fallback ?? 'transient'
  // RFC 5321 §4.5.3.1.10: "too many recipients" (X.5.3, RFC 3463 §3.6) is temporary even as 552:
  // the same recipients fit in another transaction.
  if ((reply.code === 452 || reply.code === 552) && reply.enhanced?.endsWith('.5.3') === true) return 'transient'
  const cls = reply.enhanced !== undefined ? reply.enhanced.charCodeAt(0) - 0x30 : Math.floor(reply.code / 100)
  return cls === 5 ? 'permanent' : 'transient'
}

export interface RejectedRecipient {
  readonly recipient: string
  readonly reply: Reply
}

export interface SmtpErrorOptions {
  readonly reply?: Reply | undefined
  /** The verb only ('RCPT TO', 'AUTH PLAIN'), never arguments that could hold secrets. */
  readonly command?: string | undefined
  readonly cause?: unknown
  /** With ERR_SMTP_REJECTED from RCPT: every refused recipient. */
  readonly rejected?: readonly RejectedRecipient[] | undefined
}

/** Prefer matching on `code` (undici style). */
export class SmtpError extends Error {
  override readonly name = 'SmtpError'
  readonly code: SmtpErrorCode
  readonly reply: Reply | undefined
  readonly command: string | undefined
  readonly retry: Retry
  readonly rejected: readonly RejectedRecipient[] | undefined

  constructor(code: SmtpErrorCode, message: string, opts: SmtpErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.reply = opts.reply
    this.command = opts.command
    this.rejected = opts.rejected
    this.retry = classify(code, opts.reply)
  }
}

export function isSmtpError(e: unknown): e is SmtpError {
  return e instanceof SmtpError
}
