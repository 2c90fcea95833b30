import net from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { checkServer, SmtpClient, SmtpPool } from '../../src/smtp/index.js'
import { reply, type FakeScript } from '../support/fake-smtp.js'
import { ENVELOPE, failure, MESSAGE, options, useFakeSmtp } from './helpers.js'

// Every fault must surface as an SmtpError, never as an unhandled rejection.
const unhandled: unknown[] = []
const onUnhandled = (e: unknown) => unhandled.push(e)
process.on('unhandledRejection', onUnhandled)

// Registered before the servers' own afterAll, so (hooks run as a stack) it runs after they close.
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toEqual([])
})
const fake = useFakeSmtp()

async function sendThrough(script: FakeScript, over: Parameters<typeof options>[1] = {}) {
  const s = await fake(script)
  const client = await SmtpClient.connect(options(s.port, over))
  try {
    return { e: await failure(client.send(ENVELOPE, MESSAGE)), s }
  } finally {
    await client.quit()
  }
}

describe('greeting', () => {
  it.each([
    [reply(421, '4.3.2 busy'), 'transient'],
    [reply(554, '5.7.1 no service for you'), 'permanent'],
  ])('%s ⇒ ERR_SMTP_REJECTED %s', async (greeting, retry) => {
    const s = await fake({ greeting })
    const e = await failure(SmtpClient.connect(options(s.port)))
    expect([e.code, e.retry, e.command]).toEqual(['ERR_SMTP_REJECTED', retry, 'greeting'])
  })

  it('refused TCP connection ⇒ ERR_SMTP_CONNECT, transient', async () => {
    const srv = net.createServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as net.AddressInfo).port
    await new Promise<void>((r) => srv.close(() => r()))
    const e = await failure(SmtpClient.connect(options(port)))
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_CONNECT', 'transient'])
  })
})

describe('EHLO refused', () => {
  it('5xx falls back to HELO; HELO refused too ⇒ ERR_SMTP_REJECTED', async () => {
    const s = await fake({ ehlo: reply(500, '5.5.1 what'), helo: reply(550, '5.7.1 go away') })
    const e = await failure(SmtpClient.connect(options(s.port)))
    expect([e.code, e.retry, e.command]).toEqual(['ERR_SMTP_REJECTED', 'permanent', 'HELO'])
  })
})

describe('4xx and 5xx at each step', () => {
  const cases: [string, FakeScript, string, string][] = [
    ['MAIL 451', { mail: reply(451, '4.3.0 try later') }, 'MAIL FROM', 'transient'],
    ['MAIL 550', { mail: reply(550, '5.7.1 sender refused') }, 'MAIL FROM', 'permanent'],
    ['RCPT 450', { rcpt: reply(450, '4.2.1 mailbox busy') }, 'RCPT TO', 'transient'],
    ['RCPT 550', { rcpt: reply(550, '5.1.1 no such user') }, 'RCPT TO', 'permanent'],
    ['DATA 451', { data: reply(451, '4.3.0 later') }, 'DATA', 'transient'],
    ['DATA 554', { data: reply(554, '5.5.1 no') }, 'DATA', 'permanent'],
    ['end of data 452', { dataDone: reply(452, '4.3.1 disk full') }, 'DATA', 'transient'],
    ['end of data 554', { dataDone: reply(554, '5.7.1 spam') }, 'DATA', 'permanent'],
    ['end of data 550 4.7.1 (enhanced class wins)', { dataDone: reply(550, '4.7.1 greylisted') }, 'DATA', 'transient'],
    ['MAIL without enhanced code 421', { mail: reply(421, 'closing') }, 'MAIL FROM', 'transient'],
  ]
  for (const pipelining of [false, true]) {
    describe(pipelining ? 'pipelined' : 'lock-step', () => {
      it.each(cases)('%s ⇒ ERR_SMTP_REJECTED', async (_name, script, command, retry) => {
        const { e, s } = await sendThrough({ ...script, extensions: pipelining ? ['PIPELINING'] : [] })
        expect([e.code, e.command, e.retry]).toEqual(['ERR_SMTP_REJECTED', command, retry])
        expect(e.reply?.code).toBeGreaterThanOrEqual(400)
        // the session stays usable: a failed transaction is reset, not abandoned
        if (command !== 'DATA' || !script.dataDone) expect(s.connections[0]!.commands).toContain('RSET')
      })
    })
  }

  it('a server that says 354 after refusing every recipient gets an empty message and the session stays in step', async () => {
    const s = await fake({ extensions: ['PIPELINING'], rcpt: reply(550, '5.1.1 no'), data: reply(354, 'go on'), dataDone: reply(554, '5.5.1 no recipients') })
    const client = await SmtpClient.connect(options(s.port))
    const e = await failure(client.send(ENVELOPE, MESSAGE))
    await client.ping()
    await client.quit()
    expect([e.code, e.command]).toEqual(['ERR_SMTP_REJECTED', 'RCPT TO'])
    expect(s.connections[0]!.messages.map(String)).toEqual([''])
    expect(s.connections[0]!.commands.slice(-3)).toEqual(['RSET', 'NOOP', 'QUIT'])
  })

  it('552 5.3.4 at the end of data ⇒ ERR_SMTP_SIZE, permanent', async () => {
    const { e } = await sendThrough({ dataDone: reply(552, '5.3.4 message too big') })
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_SIZE', 'permanent'])
  })

  it('AUTH 535 ⇒ ERR_SMTP_AUTH, transient (our configuration)', async () => {
    const s = await fake({ extensions: ['AUTH PLAIN'], auth: reply(535, '5.7.8 bad credentials') })
    const e = await failure(SmtpClient.connect(options(s.port, { auth: { method: 'AUTO', username: 'u', password: 'p' } })))
    expect([e.code, e.retry, e.command, e.reply?.code]).toEqual(['ERR_SMTP_AUTH', 'transient', 'AUTH PLAIN', 535])
  })
})

describe('stalls and drops', () => {
  it('a stalled server: the socket timeout fires and nothing hangs', async () => {
    const { e } = await sendThrough({ rcpt: { stall: true } }, { socketTimeoutMs: 300 })
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_TIMEOUT', 'transient'])
  })

  it('a stalled QUIT is bounded by the socket timeout', async () => {
    const s = await fake({ quit: { stall: true } })
    const client = await SmtpClient.connect(options(s.port, { socketTimeoutMs: 300, quitWait: true }))
    await client.quit()
    expect(s.connections[0]!.commands.at(-1)).toBe('QUIT')
  })

  it('a connection dropped mid-DATA ⇒ ERR_SMTP_CLOSED, transient', async () => {
    const { e } = await sendThrough({ dataDone: { drop: true } })
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_CLOSED', 'transient'])
  })

  it('a connection dropped at the greeting ⇒ ERR_SMTP_CLOSED', async () => {
    const s = await fake({ greeting: { drop: true } })
    expect((await failure(SmtpClient.connect(options(s.port)))).code).toBe('ERR_SMTP_CLOSED')
  })

  it('the pool replaces a connection that died while idle, without failing the message', async () => {
    const s = await fake({ noop: ({ conn }) => (conn.id === 0 ? { drop: true } : reply(250, 'ok')) })
    const pool = new SmtpPool(options(s.port, { maxConnections: 1 }))
    await pool.send(ENVELOPE, MESSAGE)
    const r = await pool.send(ENVELOPE, MESSAGE)
    await pool.close()
    expect(r.reply.code).toBe(250)
    expect(s.connections).toHaveLength(2)
    expect(s.connections[1]!.messages).toHaveLength(1)
  })

  it('the pool moves a message whose connection died before the end of data', async () => {
    const s = await fake({ extensions: ['PIPELINING'], mail: ({ conn }) => (conn.id === 0 ? { drop: true } : reply(250, 'ok')) })
    const pool = new SmtpPool(options(s.port, { maxConnections: 1 }))
    const r = await pool.send(ENVELOPE, MESSAGE)
    await pool.close()
    expect(r.accepted).toEqual(['b@example.com'])
    expect(s.connections[1]!.messages).toHaveLength(1)
  })
})

describe('odd replies', () => {
  it('a reply split across TCP packets, with a split UTF-8 character', async () => {
    const greeting = reply(220, 'fäke.test ✓ ESMTP')
    const s = await fake({ greeting: { reply: greeting, pieces: Buffer.byteLength(greeting) + 2 } })
    const report = await checkServer(options(s.port))
    expect(report.ok).toBe(true)
    expect(report.steps.find((st) => st.step === 'greeting')?.reply).toBe('220 fäke.test ✓ ESMTP')
  })

  it('a 20-line multi-line EHLO reply', async () => {
    const lines = ['fake.test greets you', ...Array.from({ length: 16 }, (_, i) => `X-FEATURE-${i}`), 'PIPELINING', 'SIZE 1000', 'AUTH PLAIN']
    const s = await fake({ ehlo: { reply: reply(250, ...lines), pieces: 7 } })
    const client = await SmtpClient.connect(options(s.port))
    expect(client.capabilities).toMatchObject({ pipelining: true, size: 1000, auth: ['PLAIN'] })
    await client.quit()
  })

  it.each([
    ['an HTTP server', 'HTTP/1.1 400 Bad Request'],
    ['binary noise', '\u0000\u0001\u0002garbage'],
  ])('garbage greeting from %s ⇒ ERR_SMTP_PROTOCOL', async (_name, greeting) => {
    const s = await fake({ greeting })
    const e = await failure(SmtpClient.connect(options(s.port)))
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_PROTOCOL', 'transient'])
  })

  it('garbage in reply to MAIL ⇒ ERR_SMTP_PROTOCOL', async () => {
    const { e } = await sendThrough({ mail: 'hello there' })
    expect(e.code).toBe('ERR_SMTP_PROTOCOL')
  })

  it('an unsolicited 421 while idle makes the connection unusable, not a wrong reply to the next command', async () => {
    const s = await fake({})
    const client = await SmtpClient.connect(options(s.port))
    s.connections[0]!.send(reply(421, '4.4.2 idle too long'))
    await waitUntil(() => !client.alive)
    await expect(client.ping()).rejects.toMatchObject({ code: 'ERR_SMTP_CLOSED' })
    client.destroy()
  })
})

async function waitUntil(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((r) => setTimeout(r, 10))
}
