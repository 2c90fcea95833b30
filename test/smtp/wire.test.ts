import net from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkServer, SmtpClient, SmtpPool } from '../../src/smtp/index.js'
import { makeTestCerts, type TestCerts } from '../support/certs.js'
import { reply, type FakeScript } from '../support/fake-smtp.js'
import { ENVELOPE, failure, MESSAGE, options, useFakeSmtp } from './helpers.js'

const fake = useFakeSmtp()

/** One whole session: connect, send, quit; returns the commands the server saw. */
async function session(script: FakeScript, over: Parameters<typeof options>[1] = {}, message: string = MESSAGE, envelope = ENVELOPE): Promise<string[]> {
  const s = await fake(script)
  const client = await SmtpClient.connect(options(s.port, over))
  await client.send(envelope, message)
  await client.quit()
  return s.connections[0]!.commands
}

let certs: TestCerts
beforeAll(() => {
  certs = makeTestCerts()
})

describe('Enable EHLO', () => {
  it('on: greets with EHLO and the heloName', async () => {
    expect(await session({}, { ehlo: true })).toEqual(['EHLO client.test', 'MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.com>', 'DATA', 'QUIT'])
  })

  it('off: greets with HELO only', async () => {
    expect((await session({ extensions: ['PIPELINING'] }, { ehlo: false }))[0]).toBe('HELO client.test')
  })

  it('falls back to HELO when EHLO gets 502', async () => {
    const cmds = await session({ ehlo: reply(502, '5.5.2 EHLO not implemented') })
    expect(cmds.slice(0, 2)).toEqual(['EHLO client.test', 'HELO client.test'])
  })

  it('does not fall back to HELO when EHLO gets 421', async () => {
    const s = await fake({ ehlo: reply(421, '4.3.2 shutting down') })
    const e = await failure(SmtpClient.connect(options(s.port)))
    expect([e.code, e.retry, e.command]).toEqual(['ERR_SMTP_REJECTED', 'transient', 'EHLO'])
    expect(s.connections[0]!.commands).not.toContain('HELO client.test')
  })
})

describe('DSN Response (RET) and DSN Notify', () => {
  const dsn = { extensions: ['DSN'] }
  it('sends RET=FULL and NOTIFY when DSN is advertised', async () => {
    const cmds = await session(dsn, { dsnRet: 'FULL', dsnNotify: ['SUCCESS', 'FAILURE'] })
    expect(cmds).toContain('MAIL FROM:<a@example.com> RET=FULL')
    expect(cmds).toContain('RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE')
  })

  it('sends RET=HDRS and NOTIFY=NEVER', async () => {
    const cmds = await session(dsn, { dsnRet: 'HDRS', dsnNotify: ['NEVER'] })
    expect(cmds).toContain('MAIL FROM:<a@example.com> RET=HDRS')
    expect(cmds).toContain('RCPT TO:<b@example.com> NOTIFY=NEVER')
  })

  it('sends neither for NONE and []', async () => {
    const cmds = await session(dsn, { dsnRet: 'NONE', dsnNotify: [] })
    expect(cmds).toContain('MAIL FROM:<a@example.com>')
    expect(cmds).toContain('RCPT TO:<b@example.com>')
  })

  it('sends neither when the server does not advertise DSN', async () => {
    const cmds = await session({}, { dsnRet: 'FULL', dsnNotify: ['DELAY'] }, MESSAGE, { ...ENVELOPE, envelopeId: 'x' } as never)
    expect(cmds.filter((c) => /RET=|NOTIFY=|ENVID=/.test(c))).toEqual([])
  })

  it('sends ENVID as xtext when DSN is advertised', async () => {
    const cmds = await session(dsn, {}, MESSAGE, { ...ENVELOPE, envelopeId: 'alert+1=2' } as never)
    expect(cmds).toContain('MAIL FROM:<a@example.com> ENVID=alert+2B1+3D2')
  })
})

describe('Enable 8-bit Mime', () => {
  const eightBit = 'Subject: x\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n'
  it('sends BODY=8BITMIME for an 8-bit body when on and advertised', async () => {
    expect(await session({ extensions: ['8BITMIME'] }, { eightBitMime: true }, eightBit)).toContain('MAIL FROM:<a@example.com> BODY=8BITMIME')
  })

  it('sends no BODY parameter for a 7-bit body', async () => {
    expect(await session({ extensions: ['8BITMIME'] }, { eightBitMime: true })).toContain('MAIL FROM:<a@example.com>')
  })

  it('refuses an 8-bit body before MAIL when the setting is off', async () => {
    const s = await fake({ extensions: ['8BITMIME'] })
    const client = await SmtpClient.connect(options(s.port, { eightBitMime: false }))
    const e = await failure(client.send(ENVELOPE, eightBit))
    await client.quit()
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_UNSUPPORTED', 'permanent'])
    expect(s.connections[0]!.commands.some((c) => c.startsWith('MAIL'))).toBe(false)
  })

  it('refuses an 8-bit body when the server does not advertise 8BITMIME', async () => {
    const s = await fake({})
    const client = await SmtpClient.connect(options(s.port, { eightBitMime: true }))
    const e = await failure(client.send(ENVELOPE, eightBit))
    client.destroy()
    expect(e.code).toBe('ERR_SMTP_UNSUPPORTED')
    expect(e.message).toMatch(/8BITMIME/)
  })
})

describe('SIZE and SMTPUTF8', () => {
  it('declares SIZE= when advertised', async () => {
    expect(await session({ extensions: ['SIZE 100000'] })).toContain(`MAIL FROM:<a@example.com> SIZE=${MESSAGE.length}`)
  })

  it('refuses an oversized message before MAIL (ERR_SMTP_SIZE, permanent)', async () => {
    const s = await fake({ extensions: ['SIZE 20'] })
    const client = await SmtpClient.connect(options(s.port))
    const e = await failure(client.send(ENVELOPE, MESSAGE))
    await client.quit()
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_SIZE', 'permanent'])
    expect(s.connections[0]!.commands).toEqual(['EHLO client.test', 'QUIT'])
  })

  it('adds SMTPUTF8 for a non-ASCII address when advertised, and refuses otherwise', async () => {
    const env = { from: 'a@example.com', to: ['jörg@example.com'] }
    expect(await session({ extensions: ['SMTPUTF8'] }, {}, MESSAGE, env as never)).toContain('MAIL FROM:<a@example.com> SMTPUTF8')
    const s = await fake({})
    const client = await SmtpClient.connect(options(s.port))
    expect((await failure(client.send(env, MESSAGE))).code).toBe('ERR_SMTP_UNSUPPORTED')
    client.destroy()
  })
})

describe('Enable UserSet (liveness check between two messages on one connection)', () => {
  for (const [userSet, verb] of [[false, 'NOOP'], [true, 'RSET']] as const) {
    it(`pool sends ${verb} before reusing an idle connection (userSet ${userSet})`, async () => {
      const s = await fake({})
      const pool = new SmtpPool(options(s.port, { userSet, maxConnections: 1 }))
      await pool.send(ENVELOPE, MESSAGE)
      await pool.send(ENVELOPE, MESSAGE)
      await pool.close()
      expect(s.connections).toHaveLength(1)
      const cmds = s.connections[0]!.commands
      expect(cmds.slice(4, 6)).toEqual([verb, 'MAIL FROM:<a@example.com>'])
      expect(cmds.filter((c) => c === (userSet ? 'NOOP' : 'RSET'))).toEqual([])
    })
  }

  it('client.ping() sends RSET with userSet', async () => {
    const s = await fake({})
    const client = await SmtpClient.connect(options(s.port, { userSet: true }))
    await client.ping()
    await client.quit()
    expect(s.connections[0]!.commands).toEqual(['EHLO client.test', 'RSET', 'QUIT'])
  })
})

describe('Enable Quit Wait', () => {
  it('on: quit() waits for the 221', async () => {
    const s = await fake({ quit: { stall: true } })
    const transcript: { dir: string; line: string }[] = []
    const client = await SmtpClient.connect(options(s.port, { quitWait: true }), { trace: (e) => transcript.push(e) })
    let done = false
    const quitting = client.quit().then(() => {
      done = true
    })
    await s.waitFor(() => s.connections[0]!.commands.includes('QUIT'), 'QUIT')
    await new Promise((r) => setImmediate(r))
    expect(done).toBe(false)
    s.connections[0]!.send(reply(221, '2.0.0 Bye'))
    await quitting
    expect(transcript.slice(-2).map((e) => `${e.dir} ${e.line}`)).toEqual(['C QUIT', 'S 221 2.0.0 Bye'])
  })

  it('off: sends QUIT and closes at once, never reading the 221', async () => {
    const s = await fake({})
    const report = await checkServer(options(s.port, { quitWait: false }))
    expect(report.ok).toBe(true)
    await s.waitFor(() => s.connections[0]!.closed, 'close')
    expect(s.connections[0]!.events).toContain('S: 221 2.0.0 Bye')
    const last = report.transcript.at(-1)!
    expect(`${last.dir} ${last.line}`).toBe('C QUIT')
    expect(report.steps.at(-1)).toMatchObject({ step: 'quit', ok: true })
    expect(report.steps.at(-1)!.reply).toBeUndefined()
  })
})

describe('Encryption Protocol and Start TLS', () => {
  const tlsScript = (): FakeScript => ({
    tls: { key: certs.keyPem, cert: certs.certPem },
    // different keywords before and after TLS, to prove the client asked again (RFC 3207 §4.2)
    ehlo: ({ conn }) => (conn.secure ? reply(250, 'fake.test', 'AUTH PLAIN', 'SIZE 5000') : reply(250, 'fake.test', 'STARTTLS', 'SIZE 10')),
  })

  it('TLS: STARTTLS, EHLO again, forgets the clear-text capabilities', async () => {
    const s = await fake(tlsScript())
    const client = await SmtpClient.connect(options(s.port, { encryption: 'TLS', startTls: true, tlsCa: certs.caPem }))
    expect(client.capabilities.size).toBe(5000)
    expect(client.capabilities.startTls).toBe(false)
    expect(client.tls?.authorized).toBe(true)
    await client.send(ENVELOPE, MESSAGE)
    await client.quit()
    const c = s.connections[0]!
    expect(c.commands.slice(0, 4)).toEqual(['EHLO client.test', 'STARTTLS', 'EHLO client.test', 'MAIL FROM:<a@example.com> SIZE=' + MESSAGE.length])
    expect(c.events.indexOf('* tls')).toBeLessThan(c.events.indexOf('C: MAIL FROM:<a@example.com> SIZE=' + MESSAGE.length))
  })

  it('TLS: a server without STARTTLS is an error and nothing else is sent in clear', async () => {
    const s = await fake({ extensions: ['AUTH PLAIN'] })
    const e = await failure(
      SmtpClient.connect(options(s.port, { encryption: 'TLS', startTls: true, auth: { method: 'AUTO', username: 'u', password: 'secret' } })),
    )
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_TLS', 'transient'])
    await s.waitFor(() => s.connections[0]!.closed, 'close')
    expect(s.connections[0]!.commands).toEqual(['EHLO client.test', 'QUIT'])
  })

  it('NONE + startTls: upgrades when offered (opportunistic)', async () => {
    const s = await fake(tlsScript())
    const client = await SmtpClient.connect(options(s.port, { encryption: 'NONE', startTls: true, tlsCa: certs.caPem }))
    await client.quit()
    expect(s.connections[0]!.commands.slice(0, 3)).toEqual(['EHLO client.test', 'STARTTLS', 'EHLO client.test'])
  })

  it('NONE + startTls: continues in clear when not offered', async () => {
    const cmds = await session({}, { encryption: 'NONE', startTls: true })
    expect(cmds).not.toContain('STARTTLS')
    expect(cmds).toContain('DATA')
  })

  it('NONE without startTls: never upgrades, even when offered', async () => {
    const s = await fake(tlsScript())
    const client = await SmtpClient.connect(options(s.port, { encryption: 'NONE', startTls: false }))
    await client.quit()
    expect(s.connections[0]!.commands).toEqual(['EHLO client.test', 'QUIT'])
  })
})

describe('Connection Timeout and Socket Timeout', () => {
  /** A TCP server that accepts and never speaks: a stalled TLS handshake or greeting. */
  async function silent(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
    const sockets: net.Socket[] = []
    const server = net.createServer((s) => sockets.push(s))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    return {
      port: (server.address() as net.AddressInfo).port,
      accepted: () => sockets.length,
      close: () => new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy())
        server.close(() => r())
      }),
    }
  }

  it('connectionTimeoutMs bounds connect + TLS handshake for SSL', async () => {
    const srv = await silent()
    const e = await failure(SmtpClient.connect(options(srv.port, { encryption: 'SSL', connectionTimeoutMs: 300 })))
    await srv.close()
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_TIMEOUT', 'transient'])
  })

  it('connectionTimeoutMs 0 disables it: only the abort ends a stalled handshake', async () => {
    const srv = await silent()
    const ac = new AbortController()
    const p = failure(SmtpClient.connect(options(srv.port, { encryption: 'SSL', connectionTimeoutMs: 0, socketTimeoutMs: 0 }), { signal: ac.signal }))
    await waitUntil(() => srv.accepted() > 0)
    ac.abort()
    const e = await p
    await srv.close()
    expect(e.code).toBe('ERR_SMTP_ABORTED')
  })

  it('socketTimeoutMs bounds the wait for the greeting', async () => {
    const s = await fake({ greeting: { stall: true } })
    const e = await failure(SmtpClient.connect(options(s.port, { socketTimeoutMs: 300 })))
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_TIMEOUT', 'transient'])
  })

  it('socketTimeoutMs bounds every reply (here the end of data)', async () => {
    const s = await fake({ dataDone: { stall: true } })
    const client = await SmtpClient.connect(options(s.port, { socketTimeoutMs: 300 }))
    const e = await failure(client.send(ENVELOPE, MESSAGE))
    expect(e.code).toBe('ERR_SMTP_TIMEOUT')
  })

  it('socketTimeoutMs 0 disables it: only the abort ends a stalled greeting', async () => {
    const s = await fake({ greeting: { stall: true } })
    const ac = new AbortController()
    let connected = false
    const p = failure(SmtpClient.connect(options(s.port, { socketTimeoutMs: 0 }), { signal: ac.signal, onStep: (st) => (connected ||= st.step === 'connect') }))
    await waitUntil(() => connected)
    // give a (wrongly) zero-length timer every chance to fire first
    await new Promise((r) => setTimeout(r, 50))
    ac.abort()
    expect((await p).code).toBe('ERR_SMTP_ABORTED')
  })
})

async function waitUntil(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((r) => setTimeout(r, 10))
}

describe('Enable Auth', () => {
  const auth = { method: 'AUTO', username: 'u', password: 'secret' } as const

  it('fails clearly, before MAIL, when the server offers no AUTH', async () => {
    const s = await fake({})
    const e = await failure(SmtpClient.connect(options(s.port, { auth })))
    expect(e.code).toBe('ERR_SMTP_AUTH')
    expect(e.message).toMatch(/no usable AUTH mechanism/)
    expect(s.commands().some((c) => c.startsWith('MAIL') || c.startsWith('AUTH'))).toBe(false)
  })

  it('fails clearly in a HELO-only session', async () => {
    const s = await fake({ extensions: ['AUTH PLAIN'] })
    const e = await failure(SmtpClient.connect(options(s.port, { auth, ehlo: false })))
    expect(e.code).toBe('ERR_SMTP_AUTH')
    expect(e.message).toMatch(/HELO-only/)
  })

  it('authenticates over loopback in clear and the transcript hides the secret', async () => {
    const s = await fake({ extensions: ['AUTH PLAIN LOGIN'] })
    const lines: string[] = []
    const client = await SmtpClient.connect(options(s.port, { auth }), { trace: (e) => lines.push(e.line) })
    await client.quit()
    expect(s.commands()[1]).toBe('AUTH PLAIN ' + Buffer.from('\0u\0secret').toString('base64'))
    expect(lines.join('\n')).not.toContain(Buffer.from('\0u\0secret').toString('base64'))
    expect(lines).toContain('AUTH PLAIN ****')
  })
})

describe('PIPELINING (RFC 2920) and CHUNKING (RFC 3030)', () => {
  const twoRcpt = { from: 'a@example.com', to: ['b@example.com', 'c@example.com'] }

  it('writes MAIL, every RCPT and DATA in one batch when advertised', async () => {
    // Replies are held until the next command arrives: a client that waited would stall.
    const s = await fake({ extensions: ['PIPELINING'], mail: { reply: reply(250, 'ok'), hold: true }, rcpt: { reply: reply(250, 'ok'), hold: true } })
    const client = await SmtpClient.connect(options(s.port, { socketTimeoutMs: 5000 }))
    await client.send(twoRcpt, MESSAGE)
    await client.quit()
    const batch = 'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n'
    expect(s.connections[0]!.chunks.map((c) => c.toString('latin1'))).toContain(batch)
  })

  it('waits for each reply without PIPELINING', async () => {
    const s = await fake({})
    const client = await SmtpClient.connect(options(s.port))
    await client.send(twoRcpt, MESSAGE)
    await client.quit()
    const ev = s.connections[0]!.events.filter((e) => /^(C: (MAIL|RCPT|DATA)|S: (250|354))/.test(e))
    expect(ev.map((e) => e.slice(0, 7))).toEqual(['S: 250 ', 'C: MAIL', 'S: 250 ', 'C: RCPT', 'S: 250 ', 'C: RCPT', 'S: 250 ', 'C: DATA', 'S: 354 ', 'S: 250 '])
  })

  it('on a warm connection the next envelope follows the final dot in the same write (RFC 2920 §3.1)', async () => {
    // The end-of-data reply of messages 1 and 2 is held until the next command arrives.
    const s = await fake({ extensions: ['PIPELINING'], dataDone: ({ index }) => (index < 2 ? { reply: reply(250, '2.0.0 queued'), hold: true } : reply(250, '2.0.0 queued')) })
    const client = await SmtpClient.connect(options(s.port, { socketTimeoutMs: 5000 }))
    const results = await Promise.all([1, 2, 3].map((i) => client.send(ENVELOPE, `Subject: ${i}\r\n\r\nbody ${i}\r\n`)))
    await client.quit()
    expect(results.map((r) => r.reply.code)).toEqual([250, 250, 250])
    expect(s.connections[0]!.messages.map((m) => m.toString())).toEqual([1, 2, 3].map((i) => `Subject: ${i}\r\n\r\nbody ${i}\r\n`))
    const glued = s.connections[0]!.chunks.map((c) => c.toString('latin1')).filter((c) => c.includes('\r\n.\r\nMAIL FROM:'))
    expect(glued).toHaveLength(2)
  })

  it('sends BDAT n LAST with MAIL and RCPT in one write, without dot-stuffing', async () => {
    const s = await fake({ extensions: ['PIPELINING', 'CHUNKING'] })
    const client = await SmtpClient.connect(options(s.port))
    const body = 'Subject: x\n\n.leading dot\n'
    const result = await client.send(ENVELOPE, body)
    await client.quit()
    const normalised = 'Subject: x\r\n\r\n.leading dot\r\n'
    expect(result.reply.code).toBe(250)
    expect(s.connections[0]!.chunks.map((c) => c.toString('latin1'))).toContain(
      `MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT ${normalised.length} LAST\r\n${normalised}`,
    )
    expect(s.connections[0]!.messages[0]!.toString()).toBe(normalised)
  })

  it('dot-stuffs and normalises line endings for DATA', async () => {
    const s = await fake({})
    const client = await SmtpClient.connect(options(s.port))
    await client.send(ENVELOPE, 'Subject: x\n\n.\n..two\r.x')
    await client.quit()
    const wire = Buffer.concat(s.connections[0]!.chunks).toString('latin1')
    expect(wire).toContain('Subject: x\r\n\r\n..\r\n...two\r\n..x\r\n.\r\n')
    expect(s.connections[0]!.messages[0]!.toString()).toBe('Subject: x\r\n\r\n.\r\n..two\r\n.x\r\n')
  })
})

describe('recipients', () => {
  it('returns a refused recipient as data and delivers to the others', async () => {
    const s = await fake({ extensions: ['PIPELINING', 'ENHANCEDSTATUSCODES'], rcpt: ({ line }) => (line.includes('bad@') ? reply(550, '5.1.1 no such user') : reply(250, '2.1.5 ok')) })
    const client = await SmtpClient.connect(options(s.port))
    const r = await client.send({ from: 'a@example.com', to: ['b@example.com', 'bad@example.com', 'c@example.com'] }, MESSAGE)
    await client.quit()
    expect(r.accepted).toEqual(['b@example.com', 'c@example.com'])
    expect(r.rejected).toEqual([{ recipient: 'bad@example.com', reply: { code: 550, enhanced: '5.1.1', text: 'no such user' } }])
    expect(s.connections[0]!.messages).toHaveLength(1)
  })

  it('RSETs and throws ERR_SMTP_REJECTED only when every recipient is refused', async () => {
    const s = await fake({ extensions: ['PIPELINING'], rcpt: reply(550, '5.1.1 no'), data: reply(554, '5.5.1 no valid recipients') })
    const client = await SmtpClient.connect(options(s.port))
    const e = await failure(client.send(ENVELOPE, MESSAGE))
    await client.quit()
    expect([e.code, e.retry, e.command]).toEqual(['ERR_SMTP_REJECTED', 'permanent', 'RCPT TO'])
    expect(s.connections[0]!.commands.slice(-2)).toEqual(['RSET', 'QUIT'])
    expect(s.connections[0]!.messages).toHaveLength(0)
  })
})
