import type { Reply } from '../reply.js'

export const MECHANISM_NAMES = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as const
export type MechanismName = (typeof MECHANISM_NAMES)[number]

/** What the transcript shows instead of any AUTH payload (secrets are redacted at the source). */
export const REDACTED = '****'

/**
 * Sends one line (a command or a SASL response) and returns the server's reply whatever its code.
 * `redacted` is what the transcript and diagnostics see (nodemailer's logStr).
 */
export type AuthExchange = (line: string, redacted: string) => Promise<Reply>

export interface AuthCredentials {
  readonly username: string
  readonly password?: string | undefined
  readonly accessToken?: string | undefined
}

/** One SASL mechanism (RFC 4954). Returns the final reply: 235 on success, anything else is a refusal. */
export interface AuthMechanism {
  readonly name: MechanismName
  /** What the mechanism needs from the credentials. */
  readonly needs: 'password' | 'token'
  authenticate(exchange: AuthExchange, creds: AuthCredentials): Promise<Reply>
}

export function base64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64')
}
