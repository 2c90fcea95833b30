/**
 * Injection (issue 6 §2): every field that reaches a header or an SMTP command is tried with
 * CR, LF, NUL, encoded-word tricks and over-long lines (./payloads.ts) through the real paths —
 * composeMessage, the SMTP client against a recording server, settings validation, and the whole
 * pipeline (HTTP intake → Notifier templates → Worker → SMTP) — and we parse what the server
 * received: no extra header and no extra command ever appears on the wire.
 */
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeMessage, MimeError } from '../../src/mime/index.js'
import { defaultEmailSettings, validateEmailSettings } from '../../src/settings/index.js'
import { SmtpClient, SmtpError } from '../../src/smtp/index.js'
import { startHarness, type Harness } from '../http/harness.js'
import { startSink, waitFor, type Sink } from '../outbox/sink.js'
import { options } from '../smtp/helpers.js'
import { startFakeSmtp } from '../support/fake-smtp.js'
import { INJECTIONS } from './payloads.js'

/** Header fields a composed alert may carry; anything else is an injected header. */
const ALLOWED_HEADERS = new Set(['content-transfer-encoding', 'content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to', 'x-alertmail-delivery', 'x-alertmail-severity', 'auto-submitted', 'x-auto-response-suppress', 'precedence', 'references', 'in-reply-to', 'list-id', 'x-mailer', 'received'])

let attempts = 0
afterAll(() => {
  console.log(`injection: ${attempts} injection attempts, none reached the wire`)
})

/** Header names of a raw message (top level and every MIME part), unfolded, lower case. */
function headerNames(raw: string): string[] {
  const names: string[] = []
  for (const block of raw.split(/\r\n\r\n/)) {
    for (const line of block.split('\r\n')) {
      const m = /^([\x21-\x39\x3b-\x7e]+):/.exec(line)
      if (m && !line.startsWith(' ') && !line.startsWith('\t')) names.push(m[1]!.toLowerCase())
    }
    break // only the top-level header block; parts are checked through mailparser
  }
  return names
}

/** The top-level header block carries only our fields, one Subject, no NUL, no injected field. */
function assertCleanMessage(raw: string, customName?: string): void {
  const names = headerNames(raw).filter((n) => n !== customName?.toLowerCase())
  for (const n of names) expect(ALLOWED_HEADERS.has(n), `unexpected header "${n}" in:\n${raw.slice(0, 600)}`).toBe(true)
  expect(names.filter((n) => n === 'subject').length).toBeLessThanOrEqual(1)
  const head = raw.split('\r\n\r\n', 1)[0] ?? ''
  expect(head).not.toMatch(/^X-Injected:/im)
  expect(head).not.toMatch(/^Bcc:/im)
  expect(raw).not.toContain('\0')
}

/** RFC 5322 §2.1.1 / RFC 5321 §4.5.3.1.6: no line over 998 octets, or relays cut or refuse it. */
function longLines(raw: string): number[] {
  return raw.split('\r\n').map((l) => Buffer.byteLength(l)).filter((n) => n > 998)
}

describe('composeMessage refuses or neutralises every payload in every header field', () => {
  const fields = ['subject', 'fromName', 'from', 'to', 'messageId', 'header value', 'header name'] as const
  for (const field of fields) {
    it(`${field}`, async () => {
      for (const payload of INJECTIONS) {
        attempts++
        const input = {
          from: field === 'from' ? payload : 'alerts@example.com',
          to: field === 'to' ? payload : 'ops@example.org',
          subject: field === 'subject' ? payload : 'ok',
          text: 'body',
          allow8bit: false,
          ...(field === 'fromName' ? { fromName: payload } : {}),
          ...(field === 'messageId' ? { messageId: payload } : {}),
          ...(field === 'header value' ? { headers: { 'X-Alert-Source': payload } } : {}),
          ...(field === 'header name' ? { headers: { [payload]: 'v' } } : {}),
        }
        let raw: string
        try {
          raw = (await composeMessage(input)).raw.toString('utf8')
        } catch (e) {
          expect(e, `${field}: ${JSON.stringify(payload)}`).toBeInstanceOf(MimeError)
          continue
        }
        // A custom header (name or value under test) is ours; anything beyond it is injected.
        assertCleanMessage(raw.replace(/^X-Alert-Source:.*(\r\n[ \t].*)*\r\n/im, ''), field === 'header name' ? payload : undefined)
        const parsed = await simpleParser(raw)
        expect(parsed.headers.has('x-injected')).toBe(false)
        expect(parsed.headers.has('bcc')).toBe(false)
        const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to]
        expect(to.flatMap((a) => a?.value.map((v) => v.address))).toEqual(['ops@example.org'])
      }
    })
  }
})

describe('over-long header values are folded or refused, never written as one long line', () => {
  const long = INJECTIONS.filter((p) => p.length > 900 && !/[\r\n\0]/.test(p))
  for (const field of ['subject', 'fromName', 'header value', 'header name'] as const) {
    it(`${field}: no header line over 998 octets (RFC 5322 §2.1.1)`, async () => {
      const offending: string[] = []
      for (const payload of long) {
        attempts++
        const input = {
          from: 'alerts@example.com', to: 'ops@example.org', subject: field === 'subject' ? payload : 'ok', text: 'body', allow8bit: false,
          ...(field === 'fromName' ? { fromName: payload } : {}),
          ...(field === 'header value' ? { headers: { 'X-Alert-Source': payload } } : {}),
          ...(field === 'header name' ? { headers: { [payload]: 'v' } } : {}),
        }
        try {
          const raw = (await composeMessage(input)).raw.toString('utf8')
          if (longLines(raw).length > 0) offending.push(`${JSON.stringify(payload.slice(0, 20))}… (${payload.length} chars) → a ${longLines(raw)[0]}-octet line`)
        } catch (e) {
          expect(e).toBeInstanceOf(MimeError)
        }
      }
      expect(offending).toEqual([])
    })
  }
})

describe('the SMTP client never lets a payload become a command (recording server)', () => {
  const fields = ['heloName', 'envelope.from', 'envelope.to', 'envelopeId', 'auth.username'] as const
  for (const field of fields) {
    it(`${field}`, async () => {
      const fake = await startFakeSmtp({ extensions: ['PIPELINING', 'DSN', 'AUTH PLAIN LOGIN', '8BITMIME', 'SMTPUTF8'] })
      try {
        for (const payload of INJECTIONS) {
          attempts++
          const before = fake.commands().length
          const opts = options(fake.port, {
            heloName: field === 'heloName' ? payload : 'client.test',
            allowInsecureAuth: true,
            eightBitMime: true,
            dsnNotify: ['FAILURE'],
            ...(field === 'auth.username' ? { auth: { method: 'LOGIN' as const, username: payload, password: 'pw' } } : {}),
          })
          const envelope = {
            from: field === 'envelope.from' ? payload : 'a@example.com',
            to: [field === 'envelope.to' ? payload : 'b@example.com'],
            ...(field === 'envelopeId' ? { envelopeId: payload } : {}),
          }
          let client: SmtpClient | undefined
          try {
            client = await SmtpClient.connect(opts)
            await client.send(envelope, 'Subject: x\r\n\r\nbody\r\n')
            await client.quit()
          } catch (e) {
            client?.destroy()
            expect(e, `${field}: ${JSON.stringify(payload)}`).toBeInstanceOf(SmtpError)
          }
          const lines = fake.commands().slice(before)
          // Only these verbs, each at most once (one message), and no marker as a command.
          const verbs = lines.map((l) => (l.split(' ', 1)[0] ?? '').toUpperCase())
          for (const v of verbs) expect(['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'QUIT', 'AUTH', 'RSET', 'NOOP'].includes(v) || /^[A-Za-z0-9+/=]*$/.test(v), `${field}: unexpected line ${JSON.stringify(lines)}`).toBe(true)
          for (const v of ['MAIL', 'RCPT', 'DATA', 'QUIT', 'EHLO']) expect(verbs.filter((x) => x === v).length, `${field}: ${v} twice in ${JSON.stringify(lines)}`).toBeLessThanOrEqual(1)
          expect(lines.some((l) => /^(RCPT TO|MAIL FROM):<evil@attacker/i.test(l)), JSON.stringify(lines)).toBe(false)
          // The server splits lines on LF: a payload that broke the line would start one of its own.
          for (const l of lines) expect(l).not.toMatch(/^(X-Injected|Bcc)|\0|\r/i)
        }
      } finally {
        await fake.close()
      }
    })
  }
})

describe('settings validation names the field of every header- or command-bound value', () => {
  const fields = ['host', 'username', 'fromAddress', 'fromName', 'heloName', 'supportAddress', 'applianceName', 'consoleUrl'] as const
  for (const field of fields) {
    it(`${field}`, () => {
      for (const payload of INJECTIONS.filter((p) => /[\r\n\0]/.test(p))) {
        attempts++
        const r = validateEmailSettings({ ...defaultEmailSettings(), [field]: payload })
        expect(r.ok, `${field} accepted ${JSON.stringify(payload)}`).toBe(false)
        if (!r.ok) expect(r.errors.map((e) => e.field), JSON.stringify(r.errors)).toContain(field)
      }
    })
  }
})

describe('the whole pipeline: hostile events, users and templates reach the relay as clean mail', () => {
  let h: Harness
  let sink: Sink
  beforeAll(async () => {
    sink = await startSink()
    h = await startHarness({ background: true })
    // The harness does not listen (inject only), so the notifier and worker are started here.
    h.am.pipeline.start()
  })
  afterAll(async () => {
    await h.close()
    await sink.close()
  })

  it('user names with CR/LF are refused; a clean user is created', async () => {
    for (const payload of INJECTIONS.filter((p) => /[\r\n\0]/.test(p))) {
      attempts++
      const r = await h.request('POST', '/api/v1/users', { name: payload, email: 'x@example.test', enabled: true, severities: ['critical'] })
      expect(r.status, `${JSON.stringify(payload)} → ${r.body}`).toBe(400)
      const e = await h.request('POST', '/api/v1/users', { name: 'x', email: payload, enabled: true, severities: ['critical'] })
      expect(e.status, `${JSON.stringify(payload)} → ${e.body}`).toBe(400)
    }
    const ok = await h.request('POST', '/api/v1/users', { name: 'On Call', email: 'oncall@example.test', enabled: true, severities: ['critical'] })
    expect(ok.status, ok.body).toBe(201)
  })

  it('every event field and template output carrying a payload is delivered with only our headers and recipients', async () => {
    const put = await h.request('PUT', '/api/v1/settings/email', {
      enabled: true, host: '127.0.0.1', port: sink.port, encryption: 'NONE', startTls: false,
      fromAddress: 'alerts@appliance.test', fromName: 'Appliance', socketTimeoutMs: 20_000, connectionTimeoutMs: 10_000, version: 0,
      // Template output carrying label values and titles into the subject and the body.
      templates: { subject: '[{{ severityLabel }}] {{ summary }} {% for l in labels %}{{ l.value }}{% endfor %}', text: '{{ message }}\nX-Injected: from the text template\n{% for l in labels %}{{ l.name }}={{ l.value }}\n{% endfor %}', html: '' },
    })
    expect(put.status, put.body).toBe(200)
    const events = INJECTIONS.map((payload, i) => ({
      severity: 'critical',
      title: payload.slice(0, 200) || 't',
      message: payload,
      source: `edge-${i}`,
      category: payload.slice(0, 100),
      labels: { lbl: payload.slice(0, 1000), [`n${i}`]: payload.slice(0, 100) },
    }))
    const accepted: number[] = []
    for (const [i, ev] of events.entries()) {
      attempts += 5 // title, message, category, two labels
      const r = await h.request('POST', '/api/v1/events', ev)
      expect([202, 400], r.body).toContain(r.status)
      if (r.status === 202) accepted.push(i)
    }
    expect(accepted.length).toBeGreaterThan(0)
    await waitFor(() => sink.messages.length >= accepted.length, `${accepted.length} notifications at the relay`, 120_000)
    for (const m of sink.messages) {
      expect(m.to).toEqual(['oncall@example.test'])
      expect(m.from).toBe('alerts@appliance.test')
      const raw = m.raw.replace(/\n/g, '\r\n').replace(/\r\r\n/g, '\r\n')
      assertCleanMessage(raw)
      const parsed = await simpleParser(m.raw)
      expect(parsed.headers.has('x-injected')).toBe(false)
      expect(parsed.headers.has('bcc')).toBe(false)
      expect(parsed.subject ?? '').not.toMatch(/[\r\n]/)
    }
    // Nothing stuck: every accepted event's notification was sent (none failed on its own content).
    const failed = await h.request('GET', '/api/v1/deliveries?status=failed')
    expect(failed.json.items, JSON.stringify(failed.json.items?.[0])).toEqual([])
  }, 180_000)
})
