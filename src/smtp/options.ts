/**
 * Every knob of the SMTP client in one typed object (STYLE.md §2.4). `smtpOptionsFromSettings()`
 * (src/settings/to-smtp-options.ts) is the one place that maps the E-Mail settings onto it.
 * Owned by src/smtp/: extend it there, keep the existing names stable.
 */

export const ENCRYPTIONS = ['NONE', 'SSL', 'TLS'] as const
export type Encryption = (typeof ENCRYPTIONS)[number]

export const AUTH_METHODS = ['AUTO', 'PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as const
export type AuthMethod = (typeof AUTH_METHODS)[number]

export const DSN_RETS = ['NONE', 'FULL', 'HDRS'] as const
export type DsnRet = (typeof DSN_RETS)[number]

export const DSN_NOTIFY_VALUES = ['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'] as const
export type DsnNotify = (typeof DSN_NOTIFY_VALUES)[number]

export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const
export type TlsVersion = (typeof TLS_VERSIONS)[number]

export interface SmtpAuth {
  readonly method: AuthMethod
  readonly username: string
  /** Password for PLAIN/LOGIN/CRAM-MD5. Never logged: redacted at the source. */
  readonly password?: string
  /**
   * XOAUTH2 access token, or a provider called for one; `refresh: true` asks for a fresh token
   * after the server refused the cached one (334/535).
   */
  readonly accessToken?: string | ((opts: { refresh: boolean }) => Promise<string>)
}

export interface SmtpOptions {
  readonly host: string
  readonly port: number
  /** NONE: clear text (STARTTLS opportunistic when `startTls`); SSL: implicit TLS; TLS: STARTTLS required. */
  readonly encryption: Encryption
  /** Opportunistic STARTTLS under NONE; must be true with TLS; ignored with SSL. */
  readonly startTls: boolean
  /** Bounds TCP connect (+ TLS handshake for SSL). 0 = no limit. */
  readonly connectionTimeoutMs: number
  /** Bounds every wait for a server reply (greeting, each reply, QUIT). 0 = no limit. */
  readonly socketTimeoutMs: number
  /** true: EHLO, HELO fallback on 5xx; false: HELO only. */
  readonly ehlo: boolean
  /** Name sent in EHLO/HELO; default: os.hostname() or an address literal. */
  readonly heloName?: string
  readonly tlsMinVersion: TlsVersion
  readonly tlsVerify: boolean
  /** Extra trusted CA certificates (PEM). */
  readonly tlsCa?: string
  /** Server name for SNI and certificate checks when `host` is an address. */
  readonly tlsServername?: string
  /** Present only when Enable Auth is on. */
  readonly auth?: SmtpAuth
  /** Allow credentials over an unencrypted connection to a non-loopback host. */
  readonly allowInsecureAuth: boolean
  /** Send 8-bit bodies with BODY=8BITMIME when the server advertises 8BITMIME (RFC 6152). */
  readonly eightBitMime: boolean
  readonly dsnRet: DsnRet
  /** [] = no NOTIFY parameter. */
  readonly dsnNotify: readonly DsnNotify[]
  /** Liveness check of a reused connection: RSET when true, NOOP otherwise. */
  readonly userSet: boolean
  /** true: QUIT and wait for 221; false: QUIT and close at once. */
  readonly quitWait: boolean
  /** Use PIPELINING / CHUNKING when advertised. Default 'auto'. */
  readonly pipelining?: 'auto' | 'off'
  readonly chunking?: 'auto' | 'off'
  /** Pool limits. */
  readonly maxConnections?: number
  readonly maxMessagesPerConnection?: number
  readonly idleTimeoutMs?: number
  /**
   * Most RCPT TO in one transaction; an envelope with more goes out as several transactions of the
   * same message (RFC 5321 §4.5.3.1.8: a server need only buffer 100). Default
   * DEFAULT_MAX_RECIPIENTS_PER_MESSAGE; must be an integer ≥ 1.
   */
  readonly maxRecipientsPerMessage?: number
}

export interface Envelope {
  readonly from: string
  readonly to: readonly string[]
  /** RFC 3461 ENVID, sent as xtext when DSN is advertised. */
  readonly envelopeId?: string
}

/** Pool defaults, named in one place (undici style). nodemailer's pool uses the same first two. */
export const POOL_DEFAULTS = {
  maxConnections: 5,
  maxMessagesPerConnection: 100,
  /** Below the 300 s servers allow an idle client (RFC 5321 §4.5.3.2.7), so we close first. */
  idleTimeoutMs: 30_000,
} as const

/**
 * RFC 5321 §4.5.3.1.8: a server MUST accept at least 100 RCPT commands per transaction, so 100 is
 * the most a client can count on everywhere. Larger envelopes are split into transactions of this size.
 */
export const DEFAULT_MAX_RECIPIENTS_PER_MESSAGE = 100

/**
 * The most recipients one send() takes (ERR_SMTP_ENVELOPE above it, before any connection): an
 * envelope is held in memory and answered recipient by recipient, so it must be bounded. Alert
 * mail goes to a handful of people; 10,000 leaves room for any real list.
 */
export const MAX_RECIPIENTS_PER_SEND = 10_000
