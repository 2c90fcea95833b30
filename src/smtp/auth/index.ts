import { SmtpError } from '../errors.js'
import type { AuthMethod, SmtpAuth } from '../options.js'
import type { Reply } from '../reply.js'
import { cramMd5 } from './cram-md5.js'
import { login } from './login.js'
import type { AuthExchange, AuthMechanism } from './mechanism.js'
import { plain } from './plain.js'
import { xoauth2 } from './xoauth2.js'

export type { AuthExchange, AuthMechanism, AuthCredentials, MechanismName } from './mechanism.js'
export { REDACTED } from './mechanism.js'
export { cramMd5Response } from './cram-md5.js'

export const MECHANISMS: Readonly<Record<Exclude<AuthMethod, 'AUTO'>, AuthMechanism>> = {
  PLAIN: plain,
  LOGIN: login,
  'CRAM-MD5': cramMd5,
  XOAUTH2: xoauth2,
}

/**
 * AUTO's order. XOAUTH2 only when a token is configured (a password cannot be used for it).
 * Then CRAM-MD5, because the password never crosses the wire, so it stays safe even where
 * allowInsecureAuth lets credentials travel in clear; then PLAIN (RFC 4616, one round trip with
 * the initial response); LOGIN last: non-standard, two round trips, same secrecy as PLAIN.
 */
const AUTO_ORDER = ['XOAUTH2', 'CRAM-MD5', 'PLAIN', 'LOGIN'] as const

/** Picks the mechanism, or explains clearly why none fits (never a silent unauthenticated send). */
export function chooseMechanism(auth: SmtpAuth, offered: readonly string[]): AuthMechanism {
  const hasToken = auth.accessToken !== undefined
  const hasPassword = auth.password !== undefined
  const usable = (m: AuthMechanism) => (m.needs === 'token' ? hasToken : hasPassword)
  const offers = offered.length === 0 ? 'none' : offered.join(' ')
  if (auth.method !== 'AUTO') {
    const m = MECHANISMS[auth.method]
    if (!offered.includes(m.name)) {
      throw new SmtpError('ERR_SMTP_AUTH', `server does not offer AUTH ${m.name} (offers: ${offers})`, { command: 'AUTH' })
    }
    if (!usable(m)) {
      throw new SmtpError('ERR_SMTP_CONFIG', `AUTH ${m.name} needs ${m.needs === 'token' ? 'an access token' : 'a password'}`, { command: 'AUTH' })
    }
    return m
  }
  for (const name of AUTO_ORDER) {
    const m = MECHANISMS[name]
    if (offered.includes(name) && usable(m)) return m
  }
  throw new SmtpError('ERR_SMTP_AUTH', `no usable AUTH mechanism (server offers: ${offers}; configured: ${hasToken ? 'token' : hasPassword ? 'password' : 'no secret'})`, { command: 'AUTH' })
}

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || LOOPBACK_V4.test(h) || LOOPBACK_V4.test(h.replace(/^::ffff:/, ''))
}

/** Never send credentials in clear over the network, unless the administrator allowed it. */
export function mayAuthenticate(p: { encrypted: boolean; host: string; allowInsecureAuth: boolean }): boolean {
  return p.encrypted || p.allowInsecureAuth || isLoopbackHost(p.host)
}

/**
 * Runs AUTH; throws ERR_SMTP_AUTH with the server's reply when refused. With a token provider,
 * a refused XOAUTH2 token is refreshed once (expired tokens are routine).
 */
export async function authenticate(exchange: AuthExchange, auth: SmtpAuth, offered: readonly string[]): Promise<Reply> {
  const mechanism = chooseMechanism(auth, offered)
  const provider = typeof auth.accessToken === 'function' ? auth.accessToken : undefined
  let accessToken = provider !== undefined ? await provider({ refresh: false }) : (auth.accessToken as string | undefined)
  let reply = await mechanism.authenticate(exchange, { username: auth.username, password: auth.password, accessToken })
  if (reply.code !== 235 && mechanism.name === 'XOAUTH2' && provider !== undefined && reply.code >= 500) {
    accessToken = await provider({ refresh: true })
    reply = await mechanism.authenticate(exchange, { username: auth.username, password: auth.password, accessToken })
  }
  if (reply.code !== 235) {
    throw new SmtpError('ERR_SMTP_AUTH', `AUTH ${mechanism.name} refused`, { reply, command: `AUTH ${mechanism.name}` })
  }
  return reply
}
