/**
 * An in-process `smtp-server` for the CLI tests: STARTTLS with the test CA's certificate,
 * AUTH PLAIN/LOGIN for one user, SIZE, one refused mailbox, and every message kept.
 */
import { rm } from 'node:fs/promises'
import { SMTPServer } from 'smtp-server'
import type { SMTPServerOptions } from 'smtp-server'
import { makeTestCerts } from '../support/certs.js'

export const USER = 'alerts@example.com'
export const PASSWORD = 'Tr0ub4dor&3-secret'
export const REFUSED = 'nobody@example.org'

export interface Received {
  readonly from: string
  readonly to: string[]
  readonly raw: Buffer
  readonly session: string
}

export interface SmtpPeer {
  readonly port: number
  readonly caPem: string
  readonly received: Received[]
  /** Connection ids in order of arrival. */
  readonly connections: string[]
  close(): Promise<void>
}

export async function startSmtpPeer(extra: Partial<SMTPServerOptions> = {}): Promise<SmtpPeer> {
  const certs = makeTestCerts()
  const received: Received[] = []
  const connections: string[] = []
  const server = new SMTPServer({
    key: certs.keyPem,
    cert: certs.certPem,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    size: 1_000_000,
    onConnect(session, cb) {
      connections.push(session.id)
      cb()
    },
    onAuth(auth, _session, cb) {
      if (auth.username === USER && auth.password === PASSWORD) cb(null, { user: USER })
      else cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }))
    },
    onRcptTo(address, _session, cb) {
      if (address.address === REFUSED) cb(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }))
      else cb()
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          session: session.id,
        })
        cb()
      })
    },
    ...extra,
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { resolve() })
  })
  const address = server.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    caPem: certs.caPem,
    received,
    connections,
    close: async () => {
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
      await rm(certs.dir, { recursive: true, force: true })
    },
  }
}
