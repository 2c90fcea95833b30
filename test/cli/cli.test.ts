import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { joinPartial } from '../../src/mime/index.js'
import { buildCli, runCli } from './build.js'
import type { CliResult } from './build.js'
import { PASSWORD, REFUSED, USER, startSmtpPeer } from './smtp-peer.js'
import type { SmtpPeer } from './smtp-peer.js'

let peer: SmtpPeer
let dir: string

/** The password, and the base64 forms AUTH PLAIN/LOGIN would put on the wire. */
const SECRET_FORMS = [PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')]

function expectNoSecret(r: CliResult): void {
  for (const form of SECRET_FORMS) {
    expect(r.stdout).not.toContain(form)
    expect(r.stderr).not.toContain(form)
  }
}

async function settingsFile(name: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const file = join(dir, `${name}.json`)
  const settings = {
    enabled: true,
    host: '127.0.0.1',
    port: peer.port,
    encryption: 'TLS',
    startTls: true,
    authEnabled: true,
    username: USER,
    password: PASSWORD,
    tlsCa: peer.caPem,
    connectionTimeoutMs: 20_000,
    socketTimeoutMs: 20_000,
    ...overrides,
  }
  await writeFile(file, JSON.stringify(settings))
  return file
}

beforeAll(async () => {
  await buildCli()
  peer = await startSmtpPeer()
  dir = await mkdtemp(join(tmpdir(), 'alertmail-cli-'))
}, 300_000)

afterAll(async () => {
  await peer?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('alertmail (dispatch and usage)', { timeout: 120_000 }, () => {
  test('--help prints the usage and exits 0', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/alertmail send --settings FILE/)
    expect(r.stdout).toMatch(/alertmail check --settings FILE/)
  })

  test('no command prints the usage to stderr and exits 2', async () => {
    const r = await runCli([])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Usage:/)
  })

  test('an unknown command exits 2 with a one-line reason', async () => {
    const r = await runCli(['frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/unknown command "frobnicate"/)
  })

  test('send without --settings exits 2 naming the option', async () => {
    const r = await runCli(['send', '--to', 'ops@example.org', '--subject', 's', '--text', 't'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe('alertmail send: --settings FILE is required')
  })

  test('an unknown option exits 2', async () => {
    const r = await runCli(['send', '--settingz', 'x'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/settingz/)
  })

  test('a header-injection attempt in --subject exits 2 naming the field, before connecting', async () => {
    const file = await settingsFile('inject')
    const connections = peer.connections.length
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 'hi\r\nBcc: victim@example.net', '--text', 't'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toMatch(/^alertmail send: subject must not contain CR\/LF/)
    expect(peer.connections.length).toBe(connections)
  })

  test('a recipient that is not a plain address exits 2 naming it', async () => {
    const file = await settingsFile('badto')
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--to', 'a@example.org, b@example.org', '--subject', 's', '--text', 't'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/to\[1\]/)
  })

  test('an invalid settings file exits 2 naming the field, without echoing the password', async () => {
    const file = await settingsFile('bad-port', { port: 70000 })
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 's', '--text', 't'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/port/)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expectNoSecret(r)
  })
})

describe('alertmail send', { timeout: 120_000 }, () => {
  test('delivers over STARTTLS with AUTH and prints recipients, message id and the redacted transcript', async () => {
    const file = await settingsFile('ok')
    const before = peer.received.length
    const r = await runCli(['send', '--settings', file, '--from', USER, '--to', 'ops@example.org', '--to', REFUSED, '--subject', 'CLI über alles', '--text', 'Hello from the CLI'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/accepted\s+ops@example\.org/)
    expect(r.stdout).toMatch(/refused\s+nobody@example\.org\s+550/)
    expect(r.stdout).toMatch(/message <[^>]+@example\.com>/)
    expect(r.stdout).toMatch(/C STARTTLS/)
    expect(r.stdout).toMatch(/C AUTH/)
    expect(r.stdout).toMatch(/tls: TLSv1\.[23] .* \(certificate verified\)/)
    expectNoSecret(r)
    expect(peer.received.length).toBe(before + 1)
    const got = peer.received.at(-1)!
    expect(got.to).toEqual(['ops@example.org'])
    const parsed = await simpleParser(got.raw)
    expect(parsed.subject).toBe('CLI über alles')
    expect(parsed.text?.trim()).toBe('Hello from the CLI')
  })

  test('--json prints a machine-readable report', async () => {
    const file = await settingsFile('json')
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--to', REFUSED, '--subject', 'json', '--text', 'x', '--html', '<b>x</b>', '--json'])
    expect(r.code).toBe(0)
    expectNoSecret(r)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({ command: 'send', ok: true })
    expect(report.messages).toHaveLength(1)
    expect(report.messages[0].accepted).toEqual(['ops@example.org'])
    expect(report.messages[0].rejected).toEqual([{ recipient: REFUSED, reply: expect.objectContaining({ code: 550 }) }])
    expect(report.messages[0].messageId).toMatch(/^<.+@example\.com>$/)
    expect(report.steps.map((s: { step: string }) => s.step)).toEqual(expect.arrayContaining(['connect', 'greeting', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data']))
    const lines = report.transcript.map((t: { dir: string; line: string }) => `${t.dir} ${t.line}`)
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^C AUTH /)]))
    expect(report.tls.authorized).toBe(true)
  })

  test('--repeat 3 sends three messages over one connection with NOOP between them', async () => {
    const file = await settingsFile('repeat')
    const before = { received: peer.received.length, connections: peer.connections.length }
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 'rep', '--text', 'x', '--repeat', '3', '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.messages).toHaveLength(3)
    expect(new Set(report.messages.map((m: { messageId: string }) => m.messageId)).size).toBe(3)
    expect(peer.connections.length - before.connections).toBe(1)
    const got = peer.received.slice(before.received)
    expect(got).toHaveLength(3)
    expect(new Set(got.map((g) => g.session)).size).toBe(1)
    const commands = report.transcript.filter((t: { dir: string }) => t.dir === 'C').map((t: { line: string }) => t.line)
    expect(commands.filter((c: string) => c === 'NOOP')).toHaveLength(2)
    expect(commands).not.toContain('RSET')
  })

  test('--repeat with userSet checks liveness with RSET instead of NOOP', async () => {
    const file = await settingsFile('userset', { userSet: true })
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 'rep', '--text', 'x', '--repeat', '2', '--json'])
    expect(r.code).toBe(0)
    const commands = JSON.parse(r.stdout).transcript.filter((t: { dir: string }) => t.dir === 'C').map((t: { line: string }) => t.line)
    expect(commands.filter((c: string) => c === 'RSET')).toHaveLength(1)
    expect(commands).not.toContain('NOOP')
  })

  test('--eml sends a prepared message as it is', async () => {
    const eml = join(dir, 'prepared.eml')
    const raw = 'From: alerts@example.com\r\nTo: ops@example.org\r\nSubject: prepared\r\nMessage-ID: <prepared-1@example.com>\r\n\r\nprepared body\r\n'
    await writeFile(eml, raw)
    const file = await settingsFile('eml')
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--eml', eml])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/message <prepared-1@example\.com>/)
    expect(peer.received.at(-1)!.raw.toString()).toBe(raw)
  })

  test('with partialEmail, a message over maxMessageBytes arrives as message/partial fragments that join back', async () => {
    const file = await settingsFile('partial', { partialEmail: true, maxMessageBytes: 4000 })
    const before = peer.received.length
    const text = Array.from({ length: 300 }, (_, i) => `line ${i}: the quick brown fox`).join('\n')
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 'big', '--text', text, '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.messages[0].fragments).toBeGreaterThan(2)
    const fragments = peer.received.slice(before).map((g) => g.raw)
    expect(fragments).toHaveLength(report.messages[0].fragments)
    for (const f of fragments) expect(f.length).toBeLessThanOrEqual(4000)
    const parsed = await simpleParser(joinPartial(fragments))
    expect(parsed.text?.trim()).toBe(text)
  })

  test('with eightBitMime, a small non-ASCII message goes out 8bit with BODY=8BITMIME', async () => {
    const file = await settingsFile('eight', { eightBitMime: true })
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 'Größe', '--text', 'Größe überschritten', '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    const mail = report.transcript.find((t: { dir: string; line: string }) => t.dir === 'C' && t.line.startsWith('MAIL FROM:'))
    expect(mail.line).toMatch(/ BODY=8BITMIME/)
    expect(peer.received.at(-1)!.raw.toString('utf8')).toContain('Content-Transfer-Encoding: 8bit')
  })

  test('with eightBitMime and partialEmail, an oversized message is re-encoded 7-bit before splitting', async () => {
    const file = await settingsFile('eight-partial', { eightBitMime: true, partialEmail: true, maxMessageBytes: 4000 })
    const before = peer.received.length
    const text = Array.from({ length: 200 }, (_, i) => `Zeile ${i}: Größe überschritten`).join('\n')
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 'groß', '--text', text, '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    const fragments = peer.received.slice(before).map((g) => g.raw)
    expect(fragments.length).toBeGreaterThan(2)
    for (const f of fragments) expect([...f].every((b) => b < 0x80)).toBe(true)
    const joined = joinPartial(fragments)
    const parsed = await simpleParser(joined)
    expect(parsed.text?.trim()).toBe(text)
    expect(parsed.messageId).toBe(report.messages[0].messageId)
  })

  test('without partialEmail the oversized message fails with ERR_SMTP_SIZE and exit 1', async () => {
    const file = await settingsFile('nopartial', { maxMessageBytes: 4000 })
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 'big', '--text', 'x'.repeat(60).concat('\n').repeat(200)])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/ERR_SMTP_SIZE/)
    // Refused before any MAIL: the session still ends with QUIT.
    expect(r.stdout).toMatch(/ C QUIT\n/)
    expect(r.stdout).not.toMatch(/ C MAIL FROM/)
  })

  test('a wrong password exits 1 with ERR_SMTP_AUTH and neither password appears', async () => {
    const wrong = 'Wr0ng-Pa55word-xyz'
    const file = await settingsFile('badauth', { password: wrong })
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 's', '--text', 't'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^alertmail send: ERR_SMTP_AUTH/)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    for (const form of [wrong, Buffer.from(wrong).toString('base64'), Buffer.from(`\0${USER}\0${wrong}`).toString('base64')]) {
      expect(r.stdout + r.stderr).not.toContain(form)
    }
    expect(r.stdout).toMatch(/C AUTH/)
  })

  test('the password may come from ALERTMAIL_SMTP_PASSWORD instead of the file', async () => {
    const file = await settingsFile('envpw', { password: undefined })
    const r = await runCli(['send', '--settings', file, '--to', 'ops@example.org', '--subject', 's', '--text', 't'], { ALERTMAIL_SMTP_PASSWORD: PASSWORD })
    expect(r.code).toBe(0)
    expectNoSecret(r)
  })
})

describe('alertmail check', { timeout: 120_000 }, () => {
  test('reports capabilities, TLS and steps without sending mail (--json)', async () => {
    const file = await settingsFile('check')
    const before = peer.received.length
    const r = await runCli(['check', '--settings', file, '--json'])
    expect(r.code).toBe(0)
    expectNoSecret(r)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({ command: 'check', ok: true, server: { host: '127.0.0.1', port: peer.port, encryption: 'TLS' } })
    expect(report.capabilities.auth).toEqual(expect.arrayContaining(['PLAIN', 'LOGIN']))
    expect(report.capabilities.size).toBe(1_000_000)
    expect(report.tls).toMatchObject({ authorized: true })
    expect(report.steps.map((s: { step: string }) => s.step)).toEqual(expect.arrayContaining(['starttls', 'auth']))
    expect(report.steps.map((s: { step: string }) => s.step)).not.toContain('mail')
    expect(peer.received.length).toBe(before)
  })

  test('prints a human-readable report', async () => {
    const file = await settingsFile('check-human')
    const r = await runCli(['check', '--settings', file])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^server: 127\.0\.0\.1:\d+ \(encryption TLS\) OK/m)
    expect(r.stdout).toMatch(/AUTH .*PLAIN/)
    expect(r.stdout).toMatch(/SIZE 1000000/)
    expectNoSecret(r)
  })

  test('a server that is not there exits 1 with a one-line reason', async () => {
    const file = await settingsFile('closed', { port: 1, connectionTimeoutMs: 5000 })
    const r = await runCli(['check', '--settings', file])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^alertmail check: ERR_SMTP_CONNECT/)
  })
})
