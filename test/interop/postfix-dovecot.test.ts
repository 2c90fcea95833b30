/**
 * Interop: our SMTP client against Debian's Postfix with SASL authentication through Dovecot
 * (smtpd_sasl_type = dovecot), STARTTLS with the test CA, delivery into virtual(8) Maildirs.
 * Covers what test/postfix does not: AUTH PLAIN / LOGIN / CRAM-MD5 / AUTO against a real SASL
 * implementation, wrong credentials, AUTH only after STARTTLS, failure DSNs with RET=FULL vs
 * RET=HDRS, and CHUNKING (BDAT).
 */
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { composeMessage } from '../../src/mime/index.js'
import { smtpOptionsFromSettings, validateEmailSettings } from '../../src/settings/index.js'
import { checkServer, SmtpClient, SmtpError, SmtpPool } from '../../src/smtp/index.js'
import type { SmtpOptions, TranscriptEntry } from '../../src/smtp/index.js'
import { dovecotAvailable, startDovecotAuth } from '../support/dovecot.js'
import type { DovecotAuth } from '../support/dovecot.js'
import { postfixAvailable, startPostfix, withoutTrace } from '../support/postfix.js'
import type { PostfixServer } from '../support/postfix.js'
import { startTlsSettings } from '../support/certs.js'

const DOMAIN = 'alertmail.test'
const USER = `relay@${DOMAIN}`
const PASSWORD = 'Corr3ct-horse-battery'
const MAILBOXES = ['plain', 'login', 'cram', 'auto', 'pool-rset', 'pool-noop', 'bounces-full', 'bounces-hdrs', 'chunk', 'nochunk']

let pf: PostfixServer
let dovecot: DovecotAuth

function options(overrides: Record<string, unknown> = {}, password: string | undefined = PASSWORD): SmtpOptions {
  const result = validateEmailSettings({
    enabled: true,
    ...startTlsSettings(pf.host, pf.port, pf.caPem),
    authEnabled: true,
    username: USER,
    fromAddress: USER,
    connectionTimeoutMs: 30_000,
    socketTimeoutMs: 30_000,
    ...overrides,
  })
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return smtpOptionsFromSettings(result.value, password === undefined ? {} : { password })
}

function sent(transcript: readonly TranscriptEntry[]): string[] {
  return transcript.filter((t) => t.dir === 'C').map((t) => t.line)
}

function wholeTranscript(transcript: readonly TranscriptEntry[]): string {
  return transcript.map((t) => `${t.dir} ${t.line}`).join('\n')
}

/** The credentials in any form they could leak in: clear, or inside a PLAIN/LOGIN base64 payload. */
function secretForms(): string[] {
  return [PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64')]
}

function asSent(raw: Buffer): Buffer {
  return raw.subarray(-2).toString() === '\r\n' ? raw : Buffer.concat([raw, Buffer.from('\r\n')])
}

beforeAll(async () => {
  if (!postfixAvailable() || !dovecotAvailable()) {
    throw new Error('these tests need root, /usr/sbin/postfix and /usr/sbin/dovecot: run .ci/run (apt-get install postfix dovecot-core)')
  }
  dovecot = await startDovecotAuth({ users: { [USER]: PASSWORD }, mechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5'] })
  pf = await startPostfix({
    domain: DOMAIN,
    users: MAILBOXES,
    mainCf: {
      ...dovecot.postfixMainCf,
      // Accept any local part at RCPT so an unknown user is bounced by virtual(8) with a DSN
      // (RFC 3464) instead of being refused in the session.
      smtpd_reject_unlisted_recipient: 'no',
    },
  })
}, 180_000)

afterAll(async () => {
  await pf?.stop()
  await dovecot?.stop()
})

describe('Postfix with Dovecot SASL: AUTH', { timeout: 120_000 }, () => {
  test.each([
    ['PLAIN', 'plain'],
    ['LOGIN', 'login'],
    ['CRAM-MD5', 'cram'],
  ] as const)('authMethod %s authenticates and the mail lands in the mailbox as an authenticated submission', async (method, box) => {
    const transcript: TranscriptEntry[] = []
    const client = await SmtpClient.connect(options({ authMethod: method }), { trace: (e) => transcript.push(e) })
    expect(client.tls?.authorized).toBe(true)
    expect(client.capabilities.auth).toEqual(expect.arrayContaining(['PLAIN', 'LOGIN', 'CRAM-MD5']))
    const m = await composeMessage({ from: USER, to: pf.address(box), subject: `AUTH ${method}`, text: `authenticated with ${method}`, allow8bit: false })
    const result = await client.send({ from: USER, to: [pf.address(box)] }, m.raw)
    await client.quit()
    expect(result.accepted).toEqual([pf.address(box)])

    const lines = sent(transcript)
    expect(lines.indexOf('STARTTLS')).toBeGreaterThanOrEqual(0)
    const auth = lines.findIndex((l) => l.startsWith(`AUTH ${method}`))
    expect(auth, wholeTranscript(transcript)).toBeGreaterThan(lines.indexOf('STARTTLS'))
    expect(transcript.some((t) => t.dir === 'S' && t.line.startsWith('235'))).toBe(true)
    for (const secret of secretForms()) expect(wholeTranscript(transcript)).not.toContain(secret)

    const [delivered] = await pf.waitForMessages(box, 1)
    const text = delivered!.toString()
    // RFC 3848: ESMTPSA = ESMTP + STARTTLS + AUTH; Postfix names the SASL identity it accepted.
    expect(text).toMatch(/^Received: from [^]*?with ESMTPSA /m)
    expect(text).toContain(`(Authenticated sender: ${USER})`)
    expect(withoutTrace(delivered!).equals(asSent(m.raw))).toBe(true)
  })

  test('authMethod AUTO picks the strongest mechanism Postfix offers (CRAM-MD5 before PLAIN and LOGIN)', async () => {
    const transcript: TranscriptEntry[] = []
    const client = await SmtpClient.connect(options({ authMethod: 'AUTO' }), { trace: (e) => transcript.push(e) })
    const m = await composeMessage({ from: USER, to: pf.address('auto'), subject: 'AUTH AUTO', text: 'auto', allow8bit: false })
    await client.send({ from: USER, to: [pf.address('auto')] }, m.raw)
    await client.quit()
    expect(sent(transcript).filter((l) => l.startsWith('AUTH '))).toEqual([expect.stringMatching(/^AUTH CRAM-MD5/)])
    const [delivered] = await pf.waitForMessages('auto', 1)
    expect(delivered!.toString()).toContain(`(Authenticated sender: ${USER})`)
  })

  test.each(['PLAIN', 'LOGIN', 'CRAM-MD5'] as const)('a wrong password with %s is refused with ERR_SMTP_AUTH, the secret nowhere in the error', async (method) => {
    const transcript: TranscriptEntry[] = []
    const err: unknown = await SmtpClient.connect(options({ authMethod: method }, 'wrong-password'), { trace: (e) => transcript.push(e) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SmtpError)
    const e = err as SmtpError
    expect(e.code).toBe('ERR_SMTP_AUTH')
    // docs/errors.md: a refused login is our configuration, so alerts wait (transient) for a fix.
    expect(e.retry).toBe('transient')
    expect(e.reply).toMatchObject({ code: 535, enhanced: '5.7.8' })
    expect(e.command).toBe(`AUTH ${method}`)
    const everything = `${wholeTranscript(transcript)}\n${e.message}\n${JSON.stringify(e)}`
    expect(everything).not.toContain('wrong-password')
    expect(everything).not.toContain(Buffer.from('wrong-password').toString('base64'))
  })

  test('Postfix offers AUTH only inside TLS: NONE without STARTTLS fails clearly instead of sending unauthenticated', async () => {
    const transcript: TranscriptEntry[] = []
    const err: unknown = await SmtpClient.connect(options({ encryption: 'NONE', startTls: false, authMethod: 'AUTO' }), { trace: (e) => transcript.push(e) })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SmtpError)
    expect((err as SmtpError).code).toBe('ERR_SMTP_AUTH')
    expect((err as SmtpError).message).toMatch(/offers: none/)
    expect(sent(transcript).some((l) => l.startsWith('MAIL FROM'))).toBe(false)
  })

  test('checkServer (Send Test Mail / alertmail check) reports the auth step; a wrong password is a failed auth step', async () => {
    const good = await checkServer(options({ authMethod: 'PLAIN' }))
    expect(good.ok, JSON.stringify(good.error)).toBe(true)
    expect(good.steps.find((s) => s.step === 'auth')).toMatchObject({ ok: true })
    expect(good.tls?.authorized).toBe(true)
    expect(good.capabilities).toMatchObject({ startTls: false, pipelining: true, chunking: true, dsn: true })

    const bad = await checkServer(options({ authMethod: 'PLAIN' }, 'wrong-password'))
    expect(bad.ok).toBe(false)
    expect(bad.error?.code).toBe('ERR_SMTP_AUTH')
    expect(bad.steps.find((s) => s.step === 'auth')).toMatchObject({ ok: false })
    expect(JSON.stringify(bad)).not.toContain('wrong-password')
  })

  test.each([
    [true, 'rset', 'noop'],
    [false, 'noop', 'rset'],
  ] as const)('SmtpPool reuses one authenticated connection for three messages (userSet %s: liveness by %s)', async (userSet, used, unused) => {
    const box = `pool-${used}`
    const logBefore = (await pf.log()).length
    const pool = new SmtpPool({ ...options({ authMethod: 'LOGIN', userSet }), maxConnections: 1 })
    try {
      for (let i = 1; i <= 3; i++) {
        const m = await composeMessage({ from: USER, to: pf.address(box), subject: `pooled ${i}`, text: `message ${i}`, allow8bit: false })
        const r = await pool.send({ from: USER, to: [pf.address(box)] }, m.raw)
        expect(r.accepted).toEqual([pf.address(box)])
      }
    } finally {
      await pool.close()
    }
    const delivered = await pf.waitForMessages(box, 3)
    const subjects = (await Promise.all(delivered.map((d) => simpleParser(d)))).map((p) => p.subject).sort()
    expect(subjects).toEqual(['pooled 1', 'pooled 2', 'pooled 3'])
    // Postfix's smtpd logs one "connect from" per connection, the SASL identity on every message's
    // "client=" line, and per-command counts when the client disconnects.
    const log = async () => (await pf.log()).slice(logBefore).split('\n')
    const deadline = Date.now() + 30_000
    while (!(await log()).some((l) => /: disconnect from .* quit=1/.test(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const lines = await log()
    expect(lines.filter((l) => /: connect from /.test(l))).toHaveLength(1)
    expect(lines.filter((l) => l.includes(`sasl_method=LOGIN, sasl_username=${USER}`))).toHaveLength(3)
    const stats = lines.find((l) => /: disconnect from /.test(l)) ?? ''
    expect(stats).toMatch(/ auth=1 /)
    expect(stats).toMatch(/ mail=3 /)
    expect(stats).toMatch(new RegExp(` ${used}=\\d+ `))
    expect(stats).not.toMatch(new RegExp(` ${unused}=`))
  })
})

describe('Postfix: failure DSN (NOTIFY=FAILURE to an unknown local user), RET=FULL vs RET=HDRS', { timeout: 120_000 }, () => {
  test.each([
    ['FULL', 'bounces-full'],
    ['HDRS', 'bounces-hdrs'],
  ] as const)('RET=%s', async (ret, box) => {
    const from = pf.address(box)
    const unknown = pf.address(`nobody-${ret.toLowerCase()}`)
    const marker = `body-marker-${ret}-${Date.now()}`
    const transcript: TranscriptEntry[] = []
    const client = await SmtpClient.connect(options({ authMethod: 'PLAIN', dsnNotify: ['FAILURE'], dsnRet: ret }), { trace: (e) => transcript.push(e) })
    const m = await composeMessage({ from, to: unknown, subject: `Undeliverable ${ret}`, text: `This body carries ${marker}.`, allow8bit: false })
    const result = await client.send({ from, to: [unknown], envelopeId: `env-fail-${ret}` }, m.raw)
    await client.quit()
    // Accepted at RCPT; virtual(8) fails it afterwards and Postfix returns a DSN to the sender.
    expect(result.accepted).toEqual([unknown])
    const lines = sent(transcript)
    expect(lines.find((l) => l.startsWith(`MAIL FROM:<${from}>`))?.split(' ')).toEqual(expect.arrayContaining([`RET=${ret}`, `ENVID=env-fail-${ret}`]))
    expect(lines.find((l) => l.startsWith(`RCPT TO:<${unknown}>`))?.split(' ')).toContain('NOTIFY=FAILURE')

    const [dsn] = await pf.waitForMessages(box, 1)
    const text = dsn!.toString()
    // RFC 3464 §2: multipart/report with a message/delivery-status part.
    expect(text).toMatch(/Content-Type: multipart\/report; report-type=delivery-status/)
    expect(text).toMatch(/^Action: failed/m)
    expect(text).toMatch(/^Status: 5\.1\.1/m)
    expect(text).toMatch(new RegExp(`^Final-Recipient: rfc822; ${unknown.replace('.', '\\.')}`, 'm'))
    expect(text).toMatch(new RegExp(`^Original-Envelope-Id: env-fail-${ret}`, 'm'))
    expect(text).toContain(`Subject: Undeliverable ${ret}`)
    if (ret === 'FULL') {
      // RFC 3461 §4.3: RET=FULL returns the whole message (message/rfc822), body included.
      expect(text).toMatch(/Content-Type: message\/rfc822/)
      expect(text).toContain(marker)
    } else {
      // RET=HDRS: only the headers (text/rfc822-headers, RFC 6522 §4), never the body.
      expect(text).toMatch(/Content-Type: text\/rfc822-headers/)
      expect(text).not.toMatch(/Content-Type: message\/rfc822/)
      expect(text).not.toContain(marker)
    }
  })
})

describe('Postfix: CHUNKING (RFC 3030)', { timeout: 120_000 }, () => {
  test('BDAT is used when Postfix offers CHUNKING, and the message arrives byte-for-byte', async () => {
    const transcript: TranscriptEntry[] = []
    const client = await SmtpClient.connect(options({ authMethod: 'PLAIN' }), { trace: (e) => transcript.push(e) })
    expect(client.capabilities.chunking).toBe(true)
    // Lines starting with a dot: BDAT sends them as they are (no dot-stuffing, RFC 3030 §2).
    const text = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? `.line ${i} starts with a dot` : `line ${i}`)).join('\n')
    const m = await composeMessage({ from: USER, to: pf.address('chunk'), subject: 'BDAT', text, allow8bit: false })
    await client.send({ from: USER, to: [pf.address('chunk')] }, m.raw)
    await client.quit()
    const lines = sent(transcript)
    expect(lines).toContain(`BDAT ${asSent(m.raw).length} LAST`)
    expect(lines).not.toContain('DATA')
    const [delivered] = await pf.waitForMessages('chunk', 1)
    expect(withoutTrace(delivered!).equals(asSent(m.raw))).toBe(true)
  })

  test('with chunking off the same message goes with DATA (dot-stuffed) and arrives identical', async () => {
    const transcript: TranscriptEntry[] = []
    const client = await SmtpClient.connect({ ...options({ authMethod: 'PLAIN' }), chunking: 'off' }, { trace: (e) => transcript.push(e) })
    const text = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? `.line ${i} starts with a dot` : `line ${i}`)).join('\n')
    const m = await composeMessage({ from: USER, to: pf.address('nochunk'), subject: 'DATA', text, allow8bit: false })
    await client.send({ from: USER, to: [pf.address('nochunk')] }, m.raw)
    await client.quit()
    const lines = sent(transcript)
    expect(lines).toContain('DATA')
    expect(lines.some((l) => l.startsWith('BDAT'))).toBe(false)
    const [delivered] = await pf.waitForMessages('nochunk', 1)
    expect(withoutTrace(delivered!).equals(asSent(m.raw))).toBe(true)
  })
})
