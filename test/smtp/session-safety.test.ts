/**
 * Fixes from the hardening review: command lines never carry CR/LF (RFC 5321 §2.3.8), replies
 * nobody asked for fail the session (RFC 5321 §4.3.1, RFC 2920 §3.1) while every legitimate reply
 * is still counted (354 + final dot), UTF-8 headers under SMTPUTF8 (RFC 6531 §3.4, RFC 6532),
 * the rcpt step names refused recipients, and `client.tls` survives destroy().
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendWithReport, SmtpClient, SmtpError } from '../../src/smtp/index.js'
import { makeTestCerts, type TestCerts } from '../support/certs.js'
import { reply, startFakeSmtp, type FakeScript, type FakeSmtp } from '../support/fake-smtp.js'
import { ENVELOPE, failure, MESSAGE, options } from './helpers.js'

const servers: FakeSmtp[] = []
async function fake(script: FakeScript = {}): Promise<FakeSmtp> {
  const s = await startFakeSmtp(script)
  servers.push(s)
  return s
}
let certs: TestCerts
beforeAll(() => {
  certs = makeTestCerts()
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
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
