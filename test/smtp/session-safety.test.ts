/**
 * Fixes from the hardening review: command lines never carry CR/LF (RFC 5321 §2.3.8), replies
 * nobody asked for fail the session (RFC 5321 §4.3.1, RFC 2920 §3.1) while every legitimate reply
 * is still counted (354 + final dot), UTF-8 headers under SMTPUTF8 (RFC 6531 §3.4, RFC 6532),
 * the rcpt step names refused recipients, and `client.tls` survives destroy().
 */
import net from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import { sendWithReport, SmtpClient, SmtpError } from '../../src/smtp/index.js'
import { makeTestCerts, type TestCerts } from '../support/certs.js'
import { reply } from '../support/fake-smtp.js'
import { ENVELOPE, failure, MESSAGE, options, useFakeSmtp } from './helpers.js'

const fake = useFakeSmtp()
let certs: TestCerts
beforeAll(() => {
  certs = makeTestCerts()
})

describe('command lines', () => {
  it('a heloName with CR/LF is refused (ERR_SMTP_CONFIG) before any EHLO is written', async () => {
    const s = await fake()
    const err = await failure(SmtpClient.connect(options(s.port, { heloName: 'client.test\r\nRSET' })))
    expect(err).toBeInstanceOf(SmtpError)
    expect(err.code).toBe('ERR_SMTP_CONFIG')
    expect(err.message).toMatch(/heloName/)
    expect(s.commands().filter((c) => /^(EHLO|HELO|RSET)/i.test(c))).toEqual([])
  })

  it('a heloName with a space is refused too (one domain or address literal, RFC 5321 §4.1.1.1)', async () => {
    const s = await fake()
    const err = await failure(SmtpClient.connect(options(s.port, { heloName: 'client test' })))
    expect(err.code).toBe('ERR_SMTP_CONFIG')
  })
})

/** A server that sends `extra` right after the reply to the first NOOP, then behaves. */
async function chattyServer(extra: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const srv = net.createServer((sock) => {
    sockets.add(sock)
    sock.on('error', () => {})
    sock.write('220 chatty.test ESMTP\r\n')
    let buf = ''
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1')
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 2)
        if (/^EHLO/i.test(line)) sock.write('250-chatty.test\r\n250 PIPELINING\r\n')
        else if (/^NOOP/i.test(line)) sock.write('250 2.0.0 ok\r\n' + extra)
        else if (/^QUIT/i.test(line)) sock.end('221 bye\r\n')
        else sock.write('250 2.0.0 ok\r\n')
      }
    })
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy()
      srv.close(() => r())
    }),
  }
}

describe('replies owed (RFC 5321 §4.3.1)', () => {
  it('an unasked 250 at idle fails the session with ERR_SMTP_PROTOCOL; the next message is not sent on it', async () => {
    const srv = await chattyServer('250 2.0.0 queued as NOTHING\r\n')
    try {
      const client = await SmtpClient.connect(options(srv.port))
      await client.ping()
      const err = await failure(client.send(ENVELOPE, MESSAGE))
      expect(err.code).toBe('ERR_SMTP_PROTOCOL')
      expect(err.message).toMatch(/unsolicited/)
      client.destroy()
    } finally {
      await srv.close()
    }
  })

  it('an unasked 421 at idle is allowed: the connection is just no longer alive', async () => {
    const srv = await chattyServer('421 4.3.2 shutting down\r\n')
    try {
      const client = await SmtpClient.connect(options(srv.port))
      await client.ping()
      for (let i = 0; i < 200 && client.alive; i++) await new Promise((r) => setTimeout(r, 10))
      expect(client.alive).toBe(false)
      client.destroy()
    } finally {
      await srv.close()
    }
  })

  it('a 354 to DATA after every RCPT was refused is answered with an empty message, then RSET, in step', async () => {
    const s = await fake({ extensions: ['PIPELINING'], rcpt: reply(550, '5.1.1 unknown'), data: reply(354, 'go ahead anyway') })
    const client = await SmtpClient.connect(options(s.port))
    const err = await failure(client.send(ENVELOPE, MESSAGE))
    expect(err.code).toBe('ERR_SMTP_REJECTED')
    // The session is still in step: another command gets its own reply.
    await client.ping()
    expect(client.alive).toBe(true)
    await client.quit()
    expect(s.commands().slice(-3)).toEqual(['RSET', 'NOOP', 'QUIT'])
  })
})

describe('SMTPUTF8 (RFC 6531 §3.4, RFC 6532 §3)', () => {
  const utf8 = 'From: José <josé@example.com>\r\nTo: b@example.com\r\nSubject: x\r\n\r\nhello\r\n'
  const envelope = { from: 'josé@example.com', to: ['b@example.com'] }

  it('UTF-8 in the header goes out under SMTPUTF8 even with eightBitMime off', async () => {
    const s = await fake({ extensions: ['8BITMIME', 'SMTPUTF8'] })
    const client = await SmtpClient.connect(options(s.port, { eightBitMime: false }))
    const r = await client.send(envelope, utf8)
    await client.quit()
    expect(r.accepted).toEqual(['b@example.com'])
    const mail = s.commands().find((c) => c.startsWith('MAIL')) ?? ''
    expect(mail.split(' ')).toEqual(expect.arrayContaining(['SMTPUTF8', 'BODY=8BITMIME']))
    expect(s.connections[0]!.messages[0]!.toString('utf8')).toContain('josé@example.com')
  })

  it('an 8-bit body still needs eightBitMime, SMTPUTF8 or not', async () => {
    const s = await fake({ extensions: ['8BITMIME', 'SMTPUTF8'] })
    const client = await SmtpClient.connect(options(s.port, { eightBitMime: false }))
    const err = await failure(client.send(envelope, utf8.replace('hello', 'héllo')))
    await client.quit()
    expect(err.code).toBe('ERR_SMTP_UNSUPPORTED')
  })

  it('UTF-8 in the header without SMTPUTF8 is refused clearly before MAIL', async () => {
    const s = await fake({ extensions: ['8BITMIME'] })
    const client = await SmtpClient.connect(options(s.port, { eightBitMime: false }))
    const err = await failure(client.send(ENVELOPE, utf8))
    await client.quit()
    expect(err.code).toBe('ERR_SMTP_UNSUPPORTED')
    expect(err.message).toMatch(/SMTPUTF8/)
    expect(s.commands().some((c) => c.startsWith('MAIL'))).toBe(false)
  })
})

describe('reports', () => {
  it('the rcpt step is ok when one recipient is accepted, and its reply names the refused ones', async () => {
    const s = await fake({ rcpt: ({ index }) => (index === 0 ? reply(250, '2.1.5 Ok') : reply(550, '5.1.1 no such user')) })
    const report = await sendWithReport(options(s.port), { from: 'a@example.com', to: ['b@example.com', 'nobody@example.com'] }, MESSAGE)
    expect(report.ok).toBe(true)
    const rcpt = report.steps.find((st) => st.step === 'rcpt')
    expect(rcpt?.ok).toBe(true)
    expect(rcpt?.reply).toContain('nobody@example.com: 550 5.1.1 no such user')
    expect(rcpt?.reply).toMatch(/1 accepted, 1 refused/)
  })

  it('client.tls still answers after destroy()', async () => {
    const s = await fake({ tls: { key: certs.keyPem, cert: certs.certPem }, extensions: ['STARTTLS'] })
    const client = await SmtpClient.connect(options(s.port, { encryption: 'TLS', startTls: true, tlsCa: certs.caPem }))
    const before = client.tls
    expect(before?.authorized).toBe(true)
    client.destroy()
    expect(client.tls).toEqual(before)
  })
})
