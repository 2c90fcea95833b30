/**
 * Interop: our SMTP client against aiosmtpd (python3-aiosmtpd), an implementation independent of
 * Postfix and of the `smtp-server` package we test with elsewhere: implicit TLS (encryption SSL),
 * required STARTTLS (encryption TLS), opportunistic STARTTLS (NONE + startTls), AUTH PLAIN / LOGIN /
 * AUTO and a refused password, SMTPUTF8 with non-ASCII addresses, 8BITMIME.
 */
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { composeMessage } from '../../src/mime/index.js'
import { smtpOptionsFromSettings, validateEmailSettings } from '../../src/settings/index.js'
import { SmtpClient, SmtpError } from '../../src/smtp/index.js'
import type { SmtpOptions, TranscriptEntry } from '../../src/smtp/index.js'
import { aiosmtpdAvailable, startAiosmtpd } from '../support/aiosmtpd.js'
import type { AiosmtpdMessage, AiosmtpdServer } from '../support/aiosmtpd.js'
import { startTlsSettings } from '../support/certs.js'

const USER = 'alerts@appliance.example'
const PASSWORD = 'aiosmtpd-S3cret'
const TO = 'noc@example.net'

let srv: AiosmtpdServer

function options(overrides: Record<string, unknown> = {}, password: string = PASSWORD): SmtpOptions {
  const result = validateEmailSettings({
    enabled: true,
    ...startTlsSettings(srv.host, srv.startTlsPort, srv.caPem),
    authEnabled: true,
    username: USER,
    fromAddress: USER,
    connectionTimeoutMs: 30_000,
    socketTimeoutMs: 30_000,
    ...overrides,
  })
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return smtpOptionsFromSettings(result.value, { password })
}

const sent = (t: readonly TranscriptEntry[]) => t.filter((e) => e.dir === 'C').map((e) => e.line)
const dump = (t: readonly TranscriptEntry[]) => t.map((e) => `${e.dir} ${e.line}`).join('\n')

/** Sends one message with a unique subject and returns what aiosmtpd saved for it. */
async function sendOne(
  opts: SmtpOptions,
  subject: string,
  transcript: TranscriptEntry[],
  { envelope = { from: USER, to: [TO] }, headers = envelope, text = subject, allow8bit = false }: { envelope?: { from: string; to: string[] }; headers?: { from: string; to: string[] }; text?: string; allow8bit?: boolean } = {},
): Promise<AiosmtpdMessage> {
  const client = await SmtpClient.connect(opts, { trace: (e) => transcript.push(e) })
  const m = await composeMessage({ from: headers.from, to: headers.to[0]!, subject, text, allow8bit })
  const result = await client.send(envelope, m.raw)
  await client.quit()
  expect(result.accepted).toEqual(envelope.to)
  expect(result.reply.text).toMatch(/OK saved \d+/)
  const saved = (await srv.messages()).find((msg) => msg.raw.toString('utf8').includes(`Subject: ${subject}`))
  expect(saved, `aiosmtpd saved no message with Subject: ${subject}`).toBeDefined()
  const body = saved!.raw.toString('latin1')
  expect(body.endsWith('\r\n') ? body : `${body}\r\n`).toBe(Buffer.concat([m.raw, m.raw.subarray(-2).toString() === '\r\n' ? Buffer.alloc(0) : Buffer.from('\r\n')]).toString('latin1'))
  return saved!
}

beforeAll(async () => {
  if (!aiosmtpdAvailable()) throw new Error('these tests need /usr/bin/python3 with python3-aiosmtpd: run .ci/run (apt-get install python3-aiosmtpd)')
  srv = await startAiosmtpd({ username: USER, password: PASSWORD })
}, 60_000)

afterAll(async () => {
  await srv?.stop()
})

describe('aiosmtpd: encryption and AUTH', { timeout: 60_000 }, () => {
  test.each([
    ['SSL', 'PLAIN'],
    ['SSL', 'LOGIN'],
    ['TLS', 'PLAIN'],
    ['TLS', 'LOGIN'],
  ] as const)('encryption %s with AUTH %s', async (encryption, method) => {
    const port = encryption === 'SSL' ? srv.implicitTlsPort : srv.startTlsPort
    const transcript: TranscriptEntry[] = []
    const saved = await sendOne(options({ encryption, port, authMethod: method }), `${encryption} ${method}`, transcript)
    const lines = sent(transcript)
    if (encryption === 'SSL') {
      // Implicit TLS: encrypted from the first byte, so no STARTTLS and one EHLO.
      expect(lines).not.toContain('STARTTLS')
      expect(lines.filter((l) => l.startsWith('EHLO '))).toHaveLength(1)
    } else {
      // RFC 3207 §4.2: EHLO again after STARTTLS, and AUTH only on the encrypted session.
      expect(lines.filter((l) => l.startsWith('EHLO '))).toHaveLength(2)
      expect(lines.indexOf('STARTTLS')).toBeGreaterThan(0)
      expect(lines.findIndex((l) => l.startsWith('AUTH '))).toBeGreaterThan(lines.indexOf('STARTTLS'))
    }
    expect(lines.filter((l) => l.startsWith('AUTH '))).toEqual([expect.stringMatching(new RegExp(`^AUTH ${method}`))])
    expect(dump(transcript)).not.toContain(PASSWORD)
    expect(dump(transcript)).not.toContain(Buffer.from(PASSWORD).toString('base64'))
    expect(saved.tls).toMatch(/^TLSv1\.[23]$/)
    expect(saved.user).toBe(USER)
    expect(saved.port).toBe(port)
    expect(saved.mailFrom).toBe(USER)
    expect(saved.rcptTos).toEqual([TO])
  })

  test('authMethod AUTO picks PLAIN from what aiosmtpd offers (LOGIN PLAIN)', async () => {
    const transcript: TranscriptEntry[] = []
    const client = await SmtpClient.connect(options({ authMethod: 'AUTO' }), { trace: (e) => transcript.push(e) })
    expect([...client.capabilities.auth].sort()).toEqual(['LOGIN', 'PLAIN'])
    // aiosmtpd advertises no PIPELINING: every message here exercises the client's lock-step path.
    expect(client.capabilities).toMatchObject({ pipelining: false, chunking: false, smtpUtf8: true, eightBitMime: true })
    await client.quit()
    expect(sent(transcript).filter((l) => l.startsWith('AUTH '))).toEqual([expect.stringMatching(/^AUTH PLAIN/)])
  })

  test.each([
    ['SSL', 'PLAIN'],
    ['TLS', 'LOGIN'],
  ] as const)('a wrong password is refused (%s, AUTH %s): ERR_SMTP_AUTH with 535, nothing sent', async (encryption, method) => {
    const port = encryption === 'SSL' ? srv.implicitTlsPort : srv.startTlsPort
    const before = (await srv.messages()).length
    const transcript: TranscriptEntry[] = []
    const err: unknown = await SmtpClient.connect(options({ encryption, port, authMethod: method }, 'not-the-password'), { trace: (e) => transcript.push(e) })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SmtpError)
    expect((err as SmtpError).code).toBe('ERR_SMTP_AUTH')
    expect((err as SmtpError).reply).toMatchObject({ code: 535, enhanced: '5.7.8' })
    expect(`${dump(transcript)}\n${(err as Error).message}`).not.toContain('not-the-password')
    expect(sent(transcript).some((l) => l.startsWith('MAIL FROM'))).toBe(false)
    expect(await srv.messages()).toHaveLength(before)
  })

  test('encryption NONE with Start TLS on upgrades opportunistically (aiosmtpd offers STARTTLS)', async () => {
    const transcript: TranscriptEntry[] = []
    const saved = await sendOne(options({ encryption: 'NONE', startTls: true, authMethod: 'PLAIN' }), 'opportunistic', transcript)
    expect(sent(transcript)).toContain('STARTTLS')
    expect(saved.tls).toMatch(/^TLSv1\.[23]$/)
  })

  test('the server certificate is refused without the test CA (tlsVerify on): ERR_SMTP_TLS, no AUTH sent', async () => {
    const transcript: TranscriptEntry[] = []
    const { tlsCa: _ca, ...untrusting } = options({ encryption: 'SSL', port: srv.implicitTlsPort })
    const err: unknown = await SmtpClient.connect(untrusting, { trace: (e) => transcript.push(e) }).catch((e: unknown) => e)
    expect((err as SmtpError).code).toBe('ERR_SMTP_TLS')
    expect(sent(transcript).some((l) => l.startsWith('AUTH'))).toBe(false)
  })
})

describe('aiosmtpd: SMTPUTF8 and 8BITMIME', { timeout: 60_000 }, () => {
  const to = 'José.Müller@bücher.example'
  const from = 'алерты@пример.испытание'

  test('a non-ASCII envelope goes out with SMTPUTF8 (RFC 6531 §3.4) and arrives as UTF-8 (ASCII message, 8-bit MIME off)', async () => {
    const transcript: TranscriptEntry[] = []
    const saved = await sendOne(options({ authMethod: 'PLAIN' }), 'SMTPUTF8 envelope', transcript, { envelope: { from, to: [to] }, headers: { from: USER, to: [TO] } })
    const mail = sent(transcript).find((l) => l.startsWith('MAIL FROM:')) ?? ''
    expect(mail.startsWith(`MAIL FROM:<${from}>`)).toBe(true)
    expect(mail.split(' ')).toContain('SMTPUTF8')
    expect(mail.split(' ')).not.toContain('BODY=8BITMIME')
    expect(sent(transcript)).toContain(`RCPT TO:<${to}>`)
    expect(saved.smtpUtf8).toBe(true)
    expect(saved.mailOptions).toContain('SMTPUTF8')
    expect(saved.mailFrom).toBe(from)
    expect(saved.rcptTos).toEqual([to])
  })

  test('an internationalized message (UTF-8 addresses in its headers, RFC 6532) with Enable 8-bit Mime: SMTPUTF8 + BODY=8BITMIME', async () => {
    const transcript: TranscriptEntry[] = []
    const saved = await sendOne(options({ authMethod: 'PLAIN', eightBitMime: true }), 'SMTPUTF8 headers', transcript, { envelope: { from, to: [to] }, allow8bit: true })
    expect(saved.mailOptions).toEqual(expect.arrayContaining(['SMTPUTF8', 'BODY=8BITMIME']))
    expect(saved.rcptTos).toEqual([to])
    const parsed = await simpleParser(saved.raw)
    expect(parsed.headers.get('to')).toMatchObject({ value: [{ address: to }] })
    expect(saved.raw.toString('utf8')).toContain(to)
  })

  test('an ASCII-only envelope does not ask for SMTPUTF8', async () => {
    const transcript: TranscriptEntry[] = []
    const saved = await sendOne(options({ authMethod: 'PLAIN' }), 'ascii envelope', transcript)
    expect(saved.smtpUtf8).toBe(false)
    expect(sent(transcript).find((l) => l.startsWith('MAIL FROM:'))).not.toMatch(/SMTPUTF8/)
  })

  test('Enable 8-bit Mime: an 8-bit body goes with BODY=8BITMIME and arrives intact', async () => {
    const transcript: TranscriptEntry[] = []
    const text = 'Angriff abgewehrt — Größe 12 Gbit/s\nАтака отражена'
    const saved = await sendOne(options({ authMethod: 'PLAIN', eightBitMime: true }), '8bit body', transcript, { text, allow8bit: true })
    expect(saved.mailOptions).toContain('BODY=8BITMIME')
    const parsed = await simpleParser(saved.raw)
    expect(parsed.text?.trim()).toBe(text)
    expect(parsed.headers.get('content-transfer-encoding')).toBe('8bit')
  })
})
