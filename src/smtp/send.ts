import { hostname } from 'node:os'
import { authenticate, mayAuthenticate } from './auth/index.js'
import { NO_CAPABILITIES, parseEhlo, type Capabilities } from './capabilities.js'
import { Tracer } from './diagnostics.js'
import { SmtpError } from './errors.js'
import type { SmtpOptions } from './options.js'
import { expectReply, formatReply, type Reply } from './reply.js'
import { Session } from './session.js'
import { Steps } from './steps.js'
import type { SessionContext } from './types.js'

/** A session ready for mail: greeted, upgraded, authenticated. */
export interface OpenSession {
  readonly session: Session
  readonly capabilities: Capabilities
  readonly steps: Steps
}

/**
 * The conversation up to the first MAIL, top to bottom (STYLE.md §2.4). The protocol state is
 * the position in this function. On failure the session is closed and the SmtpError thrown.
 */
export async function openSession(opts: SmtpOptions, ctx: SessionContext = {}): Promise<OpenSession> {
  const tracer = new Tracer(ctx.trace)
  const steps = new Steps(tracer, ctx.onStep)
  const session = await steps.run('connect', () => Session.open(opts, tracer, ctx.signal))
  const unbind = session.bindSignal(ctx.signal)
  try {
    // RFC 5321 §4.3.2: 220 greets; 554 (or 421) means "no service here" and we only QUIT.
    await steps.run('greeting', async () => expectReply(await session.readOne(), 220, 'greeting'))
    let caps = await hello(session, opts, steps)
    if (shouldStartTls(opts, caps, session)) {
      const reply = await steps.run('starttls', () => startTls(session, opts), (r) => r.code === 220)
      // RFC 3207 §4.2: discard everything learned before TLS and ask again.
      if (reply.code === 220) caps = await hello(session, opts, steps)
    }
    if (opts.auth !== undefined) {
      const auth = opts.auth
      await steps.run('auth', async () => {
        if (caps === HELO_ONLY) {
          throw new SmtpError('ERR_SMTP_AUTH', 'authentication is enabled but the session is HELO-only (EHLO off or refused): AUTH needs EHLO; refusing to send unauthenticated', { command: 'AUTH' })
        }
        if (!mayAuthenticate({ encrypted: session.encrypted, host: opts.host, allowInsecureAuth: opts.allowInsecureAuth })) {
          throw new SmtpError('ERR_SMTP_CONFIG', `refusing to send credentials in clear text to ${opts.host}: use encryption TLS or SSL, or set allowInsecureAuth`, { command: 'AUTH' })
        }
        return authenticate((line, redacted) => session.exchange(line, redacted), auth, caps.auth)
      })
    }
    return { session, capabilities: caps, steps }
  } catch (e) {
    if (e !== session.failure && e instanceof Error) session.tracer.error(e)
    // Leave politely when the server can still hear us (RFC 5321 §4.1.1.10); never wait long.
    await session.quit(opts.quitWait)
    throw e
  } finally {
    unbind()
  }
}

/** Identity of the HELO-only capability set (compared by reference). */
const HELO_ONLY: Capabilities = Object.freeze({ ...NO_CAPABILITIES })

export function isHeloOnly(caps: Capabilities): boolean {
  return caps === HELO_ONLY
}

/** EHLO; HELO when EHLO is off or refused with 5xx (RFC 5321 §4.1.4: 500/502 from old servers). */
async function hello(session: Session, opts: SmtpOptions, steps: Steps): Promise<Capabilities> {
  const name = heloName(opts, session)
  if (opts.ehlo) {
    const reply = await steps.run('ehlo', () => session.exchange(`EHLO ${name}`), (r) => r.code === 250)
    if (reply.code === 250) return parseEhlo(reply)
    if (reply.code < 500) throw new SmtpError('ERR_SMTP_REJECTED', `EHLO refused: ${formatReply(reply)}`, { reply, command: 'EHLO' })
  }
  await steps.run('helo', () => session.command(`HELO ${name}`, 250))
  return HELO_ONLY
}

/** TLS: mandatory (never continue in clear). NONE + startTls: opportunistic. SSL: already encrypted. */
function shouldStartTls(opts: SmtpOptions, caps: Capabilities, session: Session): boolean {
  if (session.encrypted) return false
  if (opts.encryption === 'TLS') {
    if (caps === HELO_ONLY) {
      throw new SmtpError('ERR_SMTP_TLS', 'encryption TLS needs STARTTLS, which needs EHLO; the session is HELO-only', { command: 'STARTTLS' })
    }
    if (!caps.startTls) {
      throw new SmtpError('ERR_SMTP_TLS', 'encryption TLS requires STARTTLS and the server does not offer it (use SSL for port 465, or NONE)', { command: 'STARTTLS' })
    }
    return true
  }
  return opts.encryption === 'NONE' && opts.startTls && caps.startTls
}

/** STARTTLS and the handshake. Refused: an error under TLS; under NONE we stay in clear (opportunistic). */
async function startTls(session: Session, opts: SmtpOptions): Promise<Reply> {
  const reply = await session.exchange('STARTTLS')
  if (reply.code !== 220) {
    if (opts.encryption === 'TLS') throw new SmtpError('ERR_SMTP_TLS', `STARTTLS refused: ${formatReply(reply)}`, { reply, command: 'STARTTLS' })
    return reply
  }
  await session.upgradeTls()
  return reply
}

/** RFC 5321 §4.1.4: a FQDN, else an address literal of our end of the connection. */
export function heloName(opts: SmtpOptions, session: Session): string {
  if (opts.heloName !== undefined && opts.heloName !== '') {
    // RFC 5321 §4.1.1.1, §2.3.5: one domain (A-labels) or address literal, printable ASCII, no
    // space. CR/LF would end the EHLO line and start a command of the caller's choosing (§2.3.8).
    if (/[^\x21-\x7e]/.test(opts.heloName)) {
      throw new SmtpError('ERR_SMTP_CONFIG', `heloName must be a domain name or an address literal (printable ASCII, no spaces), got ${JSON.stringify(opts.heloName.slice(0, 60))}`, { command: 'EHLO' })
    }
    return opts.heloName
  }
  const host = hostname()
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(host)) return host
  const addr = (session.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '')
  return addr.includes(':') ? `[IPv6:${addr}]` : `[${addr}]`
}
