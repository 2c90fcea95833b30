import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SmtpClient, SmtpPool, type SmtpOptions } from '../../src/smtp/index.js'
import { makeTestCerts, type TestCerts } from '../support/certs.js'
import { ENVELOPE, failure, MESSAGE, options } from './helpers.js'

interface Received {
  readonly session: SMTPServerSession & { envelope: { dsn?: { ret?: string; envid?: string }; bodyType?: string; smtpUtf8?: boolean } }
  readonly body: Buffer
  readonly secure: boolean
}

interface Harness {
  readonly port: number
  readonly received: Received[]
  readonly auths: { method: string; username: string }[]
  connections: number
  mailFrom: number
  close(): Promise<void>
}

let certs: TestCerts
const harnesses: Harness[] = []
beforeAll(() => {
  certs = makeTestCerts()
})
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()))
})

const PASSWORD = 'correct horse'
const TOKEN = 'ya29.token'

/** smtp-server in-process on 127.0.0.1:0, with our throwaway certificate. */
async function server(over: Partial<SMTPServerOptions> = {}): Promise<Harness> {
  const h: Harness = { port: 0, received: [], auths: [], connections: 0, mailFrom: 0, close: async () => {} }
  const srv = new SMTPServer({
    key: certs.keyPem,
    cert: certs.certPem,
    authOptional: true,
    logger: false,
    hideDSN: false,
    authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'],
    onConnect(_s, cb) {
      h.connections++
      cb()
    },
    onAuth(auth, _s, cb) {
      const ok = auth.method === 'XOAUTH2' ? auth.accessToken === TOKEN : auth.method === 'CRAM-MD5' ? auth.validatePassword(PASSWORD) : auth.password === PASSWORD
      if (!ok) {
        cb(new Error('Invalid username or password'))
        return
      }
      h.auths.push({ method: auth.method, username: auth.username ?? '' })
      cb(null, { user: auth.username })
    },
    onMailFrom(_a, _s, cb) {
      h.mailFrom++
      cb()
    },
    onRcptTo(addr, _s, cb) {
      if (addr.address.startsWith('bad@')) {
        const err = Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 })
        cb(err)
        return
      }
      cb()
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        h.received.push({ session: structuredClone({ envelope: session.envelope }) as never, body: Buffer.concat(chunks), secure: session.secure })
        cb()
      })
    },
    ...over,
  })
  srv.on('error', () => {})
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const harness: Harness = Object.assign(h, {
    port: (srv.server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  })
  harnesses.push(harness)
  return harness
}

const tlsOpts = (port: number, over: Partial<SmtpOptions> = {}): SmtpOptions =>
  options(port, { encryption: 'TLS', startTls: true, tlsCa: certs.caPem, ...over })

async function deliver(opts: SmtpOptions, envelope: { from: string; to: string[]; envelopeId?: string } = { ...ENVELOPE, to: [...ENVELOPE.to] }, message: string | Buffer = MESSAGE) {
  const client = await SmtpClient.connect(opts)
  try {
    return { result: await client.send(envelope, message), client }
  } finally {
    await client.quit()
  }
}

describe('TLS', () => {
  it('STARTTLS with the test CA: delivered over TLS, certificate verified', async () => {
    const h = await server()
    const { result, client } = await deliver(tlsOpts(h.port))
    expect(result.accepted).toEqual(['b@example.com'])
    expect(client.tls).toMatchObject({ authorized: true })
    expect(h.received[0]?.secure).toBe(true)
  })

  it('implicit TLS (SSL)', async () => {
    const h = await server({ secure: true })
    const { client } = await deliver(options(h.port, { encryption: 'SSL', tlsCa: certs.caPem }))
    expect(client.tls?.protocol).toMatch(/^TLSv1\.[23]$/)
    expect(h.received).toHaveLength(1)
  })

  it('refuses the certificate without tlsCa (ERR_SMTP_TLS, transient), STARTTLS and SSL', async () => {
    const h = await server()
    const e1 = await failure(SmtpClient.connect(tlsOpts(h.port, { tlsCa: undefined as never })))
    expect([e1.code, e1.retry]).toEqual(['ERR_SMTP_TLS', 'transient'])
    const h2 = await server({ secure: true })
    const e2 = await failure(SmtpClient.connect(options(h2.port, { encryption: 'SSL' })))
    expect([e2.code, e2.retry]).toEqual(['ERR_SMTP_TLS', 'transient'])
    expect(h.mailFrom + h2.mailFrom).toBe(0)
  })

  it('tlsVerify off accepts the unknown certificate and says so', async () => {
    const h = await server()
    const { client } = await deliver(tlsOpts(h.port, { tlsCa: undefined as never, tlsVerify: false }))
    expect(client.tls?.authorized).toBe(false)
    expect(h.received).toHaveLength(1)
  })

  it('tlsMinVersion TLSv1.3 is honoured', async () => {
    const h = await server()
    const { client } = await deliver(tlsOpts(h.port, { tlsMinVersion: 'TLSv1.3' }))
    expect(client.tls?.protocol).toBe('TLSv1.3')
  })
})

describe('AUTH', () => {
  for (const method of ['PLAIN', 'LOGIN', 'CRAM-MD5'] as const) {
    it(`${method}`, async () => {
      const h = await server()
      await deliver(tlsOpts(h.port, { auth: { method, username: 'alice', password: PASSWORD } }))
      expect(h.auths).toEqual([{ method, username: 'alice' }])
      expect(h.received).toHaveLength(1)
    })
  }

  it('XOAUTH2 with an access token', async () => {
    const h = await server()
    await deliver(tlsOpts(h.port, { auth: { method: 'XOAUTH2', username: 'alice', accessToken: TOKEN } }))
    expect(h.auths).toEqual([{ method: 'XOAUTH2', username: 'alice' }])
  })

  it('XOAUTH2 refreshes a stale token once', async () => {
    const h = await server()
    const asked: boolean[] = []
    const accessToken = async ({ refresh }: { refresh: boolean }) => {
      asked.push(refresh)
      return refresh ? TOKEN : 'stale'
    }
    await deliver(tlsOpts(h.port, { auth: { method: 'AUTO', username: 'alice', accessToken } }))
    expect(asked).toEqual([false, true])
    expect(h.auths).toHaveLength(1)
  })

  it('AUTO picks CRAM-MD5 when everything is offered', async () => {
    const h = await server()
    await deliver(tlsOpts(h.port, { auth: { method: 'AUTO', username: 'alice', password: PASSWORD } }))
    expect(h.auths[0]?.method).toBe('CRAM-MD5')
  })

  it('a wrong password ⇒ ERR_SMTP_AUTH with the 535, transient; nothing sent', async () => {
    const h = await server()
    const e = await failure(SmtpClient.connect(tlsOpts(h.port, { auth: { method: 'PLAIN', username: 'alice', password: 'wrong' } })))
    expect([e.code, e.retry, e.reply?.code]).toEqual(['ERR_SMTP_AUTH', 'transient', 535])
    expect(h.mailFrom).toBe(0)
  })
})

describe('extensions', () => {
  it('DSN parameters arrive (RET, ENVID, NOTIFY)', async () => {
    const h = await server()
    await deliver(tlsOpts(h.port, { dsnRet: 'HDRS', dsnNotify: ['SUCCESS', 'FAILURE'] }), { from: 'a@example.com', to: ['b@example.com'], envelopeId: 'alert-42' })
    const env = h.received[0]!.session.envelope
    expect(env.dsn).toMatchObject({ ret: 'HDRS', envid: 'alert-42' })
    expect(env.rcptTo[0]).toMatchObject({ address: 'b@example.com', dsn: { notify: ['SUCCESS', 'FAILURE'] } })
  })

  it('SIZE: an oversized message is refused before MAIL (ERR_SMTP_SIZE, permanent)', async () => {
    const h = await server({ size: 100 })
    const client = await SmtpClient.connect(tlsOpts(h.port))
    expect(client.capabilities.size).toBe(100)
    const e = await failure(client.send(ENVELOPE, MESSAGE + 'x'.repeat(200)))
    await client.quit()
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_SIZE', 'permanent'])
    expect(h.mailFrom).toBe(0)
  })

  it('8BITMIME: BODY=8BITMIME and the 8-bit bytes arrive intact', async () => {
    const h = await server()
    const body = Buffer.from('Subject: x\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße, ✓\r\n')
    await deliver(tlsOpts(h.port, { eightBitMime: true }), { from: 'a@example.com', to: ['b@example.com'] }, body)
    expect(h.received[0]!.session.envelope.bodyType).toBe('8bitmime')
    expect(h.received[0]!.body.equals(body)).toBe(true)
  })

  it('SMTPUTF8 for a non-ASCII recipient', async () => {
    const h = await server()
    await deliver(tlsOpts(h.port), { from: 'a@example.com', to: ['jörg@example.com'] })
    expect(h.received[0]!.session.envelope.smtpUtf8).toBe(true)
    expect(h.received[0]!.session.envelope.rcptTo[0]?.address).toBe('jörg@example.com')
  })

  it('PIPELINING: the whole envelope goes before the first reply', async () => {
    const h = await server()
    const transcript: string[] = []
    const client = await SmtpClient.connect(tlsOpts(h.port), { trace: (e) => transcript.push(`${e.dir} ${e.line}`) })
    expect(client.capabilities.pipelining).toBe(true)
    await client.send({ from: 'a@example.com', to: ['b@example.com', 'c@example.com'] }, MESSAGE)
    await client.quit()
    const from = transcript.indexOf('C MAIL FROM:<a@example.com>')
    expect(transcript.slice(from, from + 4)).toEqual(['C MAIL FROM:<a@example.com>', 'C RCPT TO:<b@example.com>', 'C RCPT TO:<c@example.com>', 'C DATA'])
    expect(h.received[0]!.session.envelope.rcptTo.map((r) => r.address)).toEqual(['b@example.com', 'c@example.com'])
  })

  it('a refused recipient alongside accepted ones', async () => {
    const h = await server()
    const { result } = await deliver(tlsOpts(h.port), { from: 'a@example.com', to: ['b@example.com', 'bad@example.com', 'c@example.com'] })
    expect(result.accepted).toEqual(['b@example.com', 'c@example.com'])
    expect(result.rejected).toMatchObject([{ recipient: 'bad@example.com', reply: { code: 550 } }])
    expect(h.received[0]!.session.envelope.rcptTo.map((r) => r.address)).toEqual(['b@example.com', 'c@example.com'])
  })
})

describe('SmtpPool', () => {
  it('reuses one connection for sequential messages', async () => {
    const h = await server()
    const pool = new SmtpPool(tlsOpts(h.port, { maxConnections: 3 }))
    for (let i = 0; i < 5; i++) await pool.send(ENVELOPE, MESSAGE)
    await pool.close()
    expect(h.connections).toBe(1)
    expect(h.received).toHaveLength(5)
  })

  it('spreads a burst over at most maxConnections and delivers every message', async () => {
    const h = await server()
    const pool = new SmtpPool(tlsOpts(h.port, { maxConnections: 2 }))
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => pool.send(ENVELOPE, `Subject: ${i}\r\n\r\nbody\r\n`)))
    await pool.close()
    expect(results.every((r) => r.reply.code === 250)).toBe(true)
    expect(h.connections).toBeLessThanOrEqual(2)
    expect(h.received.map((r) => r.body.toString().split('\r\n')[0]).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `Subject: ${i}`).sort())
  })

  it('retires a connection after maxMessagesPerConnection', async () => {
    const h = await server()
    const pool = new SmtpPool(tlsOpts(h.port, { maxConnections: 1, maxMessagesPerConnection: 2 }))
    for (let i = 0; i < 5; i++) await pool.send(ENVELOPE, MESSAGE)
    await pool.close()
    expect(h.connections).toBe(3)
  })

  it('capabilities() reports a live connection, which is then reused', async () => {
    const h = await server({ size: 5000 })
    const pool = new SmtpPool(tlsOpts(h.port))
    expect((await pool.capabilities()).size).toBe(5000)
    await pool.send(ENVELOPE, MESSAGE)
    await pool.close()
    expect(h.connections).toBe(1)
  })

  it('keeps to maxConnections when a burst of sends each ask for capabilities() first (as the outbox does)', async () => {
    const h = await server({ size: 5000 })
    const pool = new SmtpPool(tlsOpts(h.port, { maxConnections: 3 }))
    const results = await Promise.all(
      Array.from({ length: 32 }, async (_, i) => {
        expect((await pool.capabilities()).size).toBe(5000)
        return pool.send(ENVELOPE, `Subject: ${i}\r\n\r\nbody\r\n`)
      }),
    )
    await pool.close()
    expect(results.every((r) => r.reply.code === 250)).toBe(true)
    expect(h.received).toHaveLength(32)
    expect(h.connections).toBeLessThanOrEqual(3)
  })
})

describe('recipients per message (RFC 5321 §4.5.3.1.8, §4.5.3.1.10)', () => {
  const to = Array.from({ length: 250 }, (_, i) => `r${i}@example.com`)

  it('250 recipients at 100 per message: 3 transactions of 100/100/50 over one STARTTLS connection, same bytes, one result', async () => {
    const h = await server()
    const pool = new SmtpPool(tlsOpts(h.port, { maxRecipientsPerMessage: 100, dsnRet: 'HDRS' }))
    const result = await pool.send({ from: 'a@example.com', to, envelopeId: 'env-1' }, MESSAGE)
    await pool.close()
    expect(h.mailFrom).toBe(3)
    expect(h.connections).toBe(1)
    expect(h.received.map((r) => r.session.envelope.rcptTo.length)).toEqual([100, 100, 50])
    expect(h.received.flatMap((r) => r.session.envelope.rcptTo.map((a) => a.address))).toEqual(to)
    expect(h.received.every((r) => r.body.toString() === MESSAGE)).toBe(true)
    expect(h.received.map((r) => [r.session.envelope.dsn?.envid, r.session.envelope.dsn?.ret])).toEqual(Array(3).fill(['env-1', 'HDRS']))
    expect(result.accepted).toEqual(to)
    expect(result.rejected).toEqual([])
  })

  it('a server with room for 40 per transaction (452 4.5.3): everyone is delivered once, over several transactions', async () => {
    const h = await server({
      onRcptTo(_addr, session, cb) {
        if (session.envelope.rcptTo.length >= 40) {
          cb(Object.assign(new Error('4.5.3 Too many recipients'), { responseCode: 452 }))
          return
        }
        cb()
      },
    })
    const pool = new SmtpPool(tlsOpts(h.port, { maxRecipientsPerMessage: 100 }))
    const result = await pool.send({ from: 'a@example.com', to }, MESSAGE)
    await pool.close()
    const delivered = h.received.flatMap((r) => r.session.envelope.rcptTo.map((a) => a.address))
    expect(delivered.sort()).toEqual([...to].sort())
    expect(result.accepted.sort()).toEqual([...to].sort())
    expect(result.rejected).toEqual([])
    expect(h.mailFrom).toBe(7)
  })
})
