import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { composeMessage, joinPartial } from '../../src/mime/index.js'
import { sendMessage } from '../../src/outbox/send-message.js'
import { smtpOptionsFromSettings, validateEmailSettings } from '../../src/settings/index.js'
import { SmtpClient, SmtpError } from '../../src/smtp/index.js'
import type { Envelope, SmtpOptions, TranscriptEntry } from '../../src/smtp/index.js'
import { buildCli, runCli } from '../cli/build.js'
import { postfixAvailable, startPostfix, withoutTrace } from '../support/postfix.js'
import type { PostfixServer } from '../support/postfix.js'
import { startTlsSettings } from '../support/certs.js'

/** Postfix's limit, low enough that a 60 KB alert digest needs message/partial. */
const SIZE_LIMIT = 20_000

let pf: PostfixServer
let dir: string

function settings(overrides: Record<string, unknown> = {}) {
  const result = validateEmailSettings({
    enabled: true,
    ...startTlsSettings(pf.host, pf.port, pf.caPem),
    fromAddress: pf.address('alerts'),
    connectionTimeoutMs: 30_000,
    socketTimeoutMs: 30_000,
    ...overrides,
  })
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return result.value
}

async function connect(opts: SmtpOptions, transcript: TranscriptEntry[] = []): Promise<SmtpClient> {
  return SmtpClient.connect(opts, { trace: (e) => transcript.push(e) })
}

/** What the client put on the wire: CRLF line ends, a final CRLF added when missing. */
function asSent(raw: Buffer): Buffer {
  return raw.subarray(-2).toString() === '\r\n' ? raw : Buffer.concat([raw, Buffer.from('\r\n')])
}

beforeAll(async () => {
  if (!postfixAvailable()) throw new Error('these tests need /usr/sbin/postfix and root: run .ci/run (apt-get install postfix)')
  pf = await startPostfix({
    messageSizeLimit: SIZE_LIMIT,
    users: ['alerts', 'tls', 'dsnfull', 'dsnfullfrom', 'dsnhdrs', 'dsnhdrsfrom', 'part', 'eight', 'cli', 'clifrom'],
  })
  dir = await mkdtemp(join(tmpdir(), 'alertmail-postfix-cli-'))
}, 180_000)

afterAll(async () => {
  await pf?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

// Postfix delivers asynchronously; on a loaded 2-core machine allow it time (waits are conditions).
describe('our SMTP client against Debian Postfix', { timeout: 120_000 }, () => {
  test('delivers over STARTTLS (encryption TLS, test CA) into a local mailbox, unchanged', async () => {
    const transcript: TranscriptEntry[] = []
    const client = await connect(smtpOptionsFromSettings(settings()), transcript)
    expect(client.tls?.authorized).toBe(true)
    expect(client.capabilities.size).toBe(SIZE_LIMIT)
    expect(client.capabilities).toMatchObject({ dsn: true, eightBitMime: true, pipelining: true })
    const m = await composeMessage({ from: pf.address('alerts'), fromName: 'Appliance', to: pf.address('tls'), subject: 'STARTTLS delivery', text: 'Delivered over TLS', html: '<p>Delivered over TLS</p>', allow8bit: false })
    const result = await client.send({ from: pf.address('alerts'), to: [pf.address('tls')] }, m.raw)
    await client.quit()
    expect(result.accepted).toEqual([pf.address('tls')])
    expect(result.reply.code).toBe(250)
    expect(transcript.map((t) => t.line)).toContain('STARTTLS')
    const [delivered] = await pf.waitForMessages('tls', 1)
    expect(delivered!.toString()).toMatch(/^Received: from [^]*?with ESMTPS /m)
    expect(withoutTrace(delivered!).equals(asSent(m.raw))).toBe(true)
  })

  test.each(['FULL', 'HDRS'] as const)('NOTIFY=SUCCESS with RET=%s puts a success DSN into the sender\'s mailbox', async (ret) => {
    const user = `dsn${ret.toLowerCase()}`
    const from = pf.address(`${user}from`)
    const transcript: TranscriptEntry[] = []
    const client = await connect(smtpOptionsFromSettings(settings({ dsnNotify: ['SUCCESS'], dsnRet: ret })), transcript)
    const m = await composeMessage({ from, to: pf.address(user), subject: `DSN ${ret}`, text: 'please confirm delivery', allow8bit: false })
    await client.send({ from, to: [pf.address(user)], envelopeId: `env-${ret}` }, m.raw)
    await client.quit()
    const sent = transcript.filter((t) => t.dir === 'C').map((t) => t.line)
    const mail = sent.find((l) => l.startsWith(`MAIL FROM:<${from}>`)) ?? ''
    expect(mail.split(' ')).toEqual(expect.arrayContaining([`RET=${ret}`, `ENVID=env-${ret}`]))
    const rcpt = sent.find((l) => l.startsWith(`RCPT TO:<${pf.address(user)}>`)) ?? ''
    expect(rcpt.split(' ')).toContain('NOTIFY=SUCCESS')
    await pf.waitForMessages(user, 1)
    const [dsn] = await pf.waitForMessages(`${user}from`, 1)
    const text = dsn!.toString()
    // RFC 3464: a multipart/report with a machine-readable delivery-status part.
    expect(text).toMatch(/Content-Type: multipart\/report; report-type=delivery-status/)
    expect(text).toMatch(/^Action: delivered/m)
    expect(text).toMatch(new RegExp(`^Final-Recipient: rfc822; ${user}@${pf.domain}`, 'm'))
    expect(text).toMatch(new RegExp(`^Original-Envelope-Id: env-${ret}`, 'm'))
    // Postfix returns the original's headers with a success DSN, even for RET=FULL.
    expect(text).toMatch(/Content-Type: (text\/rfc822-headers|message\/rfc822)/)
    expect(text).toContain(`Subject: DSN ${ret}`)
  })

  test('Enable Partial Email: fragments under SIZE arrive and joinPartial restores the original byte-for-byte', async () => {
    const s = settings({ partialEmail: true })
    const client = await connect(smtpOptionsFromSettings(s))
    const text = Array.from({ length: 900 }, (_, i) => `alert ${i}: SYN flood from 198.51.100.${i % 250} mitigated`).join('\n')
    const m = await composeMessage({ from: pf.address('alerts'), to: pf.address('part'), subject: 'Digest: 900 alerts', text, allow8bit: false })
    expect(m.raw.length).toBeGreaterThan(SIZE_LIMIT * 2)
    let fragments = 0
    const sender = { send: (e: Envelope, msg: Buffer | Uint8Array | string) => { fragments++; return client.send(e, msg) }, capabilities: async () => client.capabilities }
    const result = await sendMessage(sender, { from: pf.address('alerts'), to: [pf.address('part')] }, m.raw, { partialEmail: s.partialEmail })
    await client.quit()
    expect(result.accepted).toEqual([pf.address('part')])
    expect(fragments).toBeGreaterThanOrEqual(3)
    const delivered = await pf.waitForMessages('part', fragments)
    expect(delivered).toHaveLength(fragments)
    const joined = joinPartial(delivered)
    expect(joined.equals(m.raw)).toBe(true)
    const parsed = await simpleParser(joined)
    expect(parsed.subject).toBe('Digest: 900 alerts')
    expect(parsed.text?.trim()).toBe(text)
  })

  test('without Enable Partial Email the oversized message fails with ERR_SMTP_SIZE', async () => {
    const client = await connect(smtpOptionsFromSettings(settings({ partialEmail: false })))
    const m = await composeMessage({ from: pf.address('alerts'), to: pf.address('part'), subject: 'too big', text: 'x'.repeat(70).concat('\n').repeat(600), allow8bit: false })
    const sender = { send: (e: Envelope, msg: Buffer | Uint8Array | string) => client.send(e, msg), capabilities: async () => client.capabilities }
    const err: unknown = await sendMessage(sender, { from: pf.address('alerts'), to: [pf.address('part')] }, m.raw, { partialEmail: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SmtpError)
    expect((err as SmtpError).code).toBe('ERR_SMTP_SIZE')
    expect((err as SmtpError).retry).toBe('permanent')
    // Sent whole anyway, Postfix itself refuses it: the client maps that to the same code.
    const direct: unknown = await client.send({ from: pf.address('alerts'), to: [pf.address('part')] }, m.raw).catch((e: unknown) => e)
    expect((direct as SmtpError).code).toBe('ERR_SMTP_SIZE')
    client.destroy()
  })

  test('8BITMIME: an 8-bit body goes out with BODY=8BITMIME and arrives intact', async () => {
    const s = settings({ eightBitMime: true })
    const transcript: TranscriptEntry[] = []
    const client = await connect(smtpOptionsFromSettings(s), transcript)
    const allow8bit = s.eightBitMime && client.capabilities.eightBitMime
    const text = 'Angriff abgewehrt — Größe 12 Gbit/s\nАтака отражена\n攻撃を遮断しました 🚨'
    const m = await composeMessage({ from: pf.address('alerts'), to: pf.address('eight'), subject: 'Achtung: Überlast', text, allow8bit })
    expect(m.eightBit).toBe(true)
    await client.send({ from: pf.address('alerts'), to: [pf.address('eight')] }, m.raw)
    await client.quit()
    expect(transcript.some((t) => t.dir === 'C' && /^MAIL FROM:<[^>]+>.* BODY=8BITMIME/.test(t.line))).toBe(true)
    const [delivered] = await pf.waitForMessages('eight', 1)
    expect(withoutTrace(delivered!).equals(asSent(m.raw))).toBe(true)
    const parsed = await simpleParser(delivered!)
    expect(parsed.text?.trim()).toBe(text)
    expect(parsed.headers.get('content-transfer-encoding')).toBe('8bit')
  })
})

describe('the built CLI against Debian Postfix', { timeout: 300_000 }, () => {
  test('alertmail send --json delivers and prints accepted recipients and a redacted transcript', async () => {
    await buildCli()
    const file = join(dir, 's.json')
    await writeFile(file, JSON.stringify({ ...startTlsSettings(pf.host, pf.port, pf.caPem), dsnNotify: ['SUCCESS'], connectionTimeoutMs: 30_000, socketTimeoutMs: 30_000 }))
    const r = await runCli(['send', '--settings', file, '--from', pf.address('clifrom'), '--to', pf.address('cli'), '--subject', 'From the CLI', '--text', 'alertmail send through Postfix', '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.ok).toBe(true)
    expect(report.messages[0].accepted).toEqual([pf.address('cli')])
    expect(report.messages[0].reply.code).toBe(250)
    const lines: string[] = report.transcript.map((t: { dir: string; line: string }) => `${t.dir} ${t.line}`)
    expect(lines).toContain('C STARTTLS')
    expect(lines.some((l) => /^S 250[ -].*queued as/.test(l)), lines.join('\n')).toBe(true)
    const [delivered] = await pf.waitForMessages('cli', 1)
    const parsed = await simpleParser(delivered!)
    expect(parsed.subject).toBe('From the CLI')
    expect(parsed.messageId).toBe(report.messages[0].messageId)
    const [dsn] = await pf.waitForMessages('clifrom', 1)
    expect(dsn!.toString()).toMatch(/^Action: delivered/m)
  })
})
