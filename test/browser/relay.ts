/**
 * In-process `smtp-server` relays for the browser tests: one that accepts AUTH and keeps what it
 * receives, one that refuses every login with 535 (RFC 4954 §6).
 */
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import type {
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerSession,
} from 'smtp-server'

export interface ReceivedMail {
  readonly from: string
  readonly to: readonly string[]
  readonly raw: string
}

export interface Relay {
  readonly port: number
  readonly received: ReceivedMail[]
  /** Logins tried, with the user name only. */
  readonly logins: string[]
  close(): Promise<void>
}

export const RELAY_USER = 'alerts@example.com'
export const RELAY_PASSWORD = 'relay-Secret-7431'
/** Recipients starting with this are refused with 550 5.1.1 by every relay. */
export const REFUSED_PREFIX = 'nobody'

export async function startRelay(mode: 'accept' | 'refuse-auth'): Promise<Relay> {
  const received: ReceivedMail[] = []
  const logins: string[] = []
  const server = new SMTPServer({
    // Loopback only; no STARTTLS so the form can use encryption NONE (AUTH to loopback is allowed).
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(
      auth: SMTPServerAuthentication,
      _session: SMTPServerSession,
      callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
    ) {
      logins.push(auth.username ?? '')
      if (mode === 'accept' && auth.username === RELAY_USER && auth.password === RELAY_PASSWORD) {
        callback(null, { user: auth.username })
        return
      }
      callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }))
    },
    // RFC 5321 §4.2.2 / RFC 3463 5.1.1: a mailbox that does not exist, refused for good.
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith(REFUSED_PREFIX)) {
        callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }))
        return
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    received,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
