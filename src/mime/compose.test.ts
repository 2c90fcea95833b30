import { describe, expect, test } from 'vitest'
import { composeMessage } from './compose.js'
import { MimeError } from './errors.js'
import type { ComposeInput } from './compose.js'

const base: ComposeInput = { from: 'alerts@example.com', to: ['ops@example.org'], subject: 'Attack mitigated', text: 'SYN flood stopped', allow8bit: false }

function header(raw: Buffer, name: string): string | undefined {
  const head = raw.toString('latin1').split('\r\n\r\n')[0] ?? ''
  const m = new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(head)
  return m?.[1]
}

async function refusal(input: Partial<ComposeInput> & Record<string, unknown>): Promise<MimeError> {
  const err: unknown = await composeMessage({ ...base, ...input }).then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(MimeError)
  return err as MimeError
}

describe('composeMessage', () => {
  test('uses the Message-ID it is given, in angle brackets', async () => {
    const a = await composeMessage({ ...base, messageId: 'abc.123@alerts.example.com' })
    expect(a.messageId).toBe('<abc.123@alerts.example.com>')
    expect(header(a.raw, 'Message-ID')).toBe('<abc.123@alerts.example.com>')
    const b = await composeMessage({ ...base, messageId: '<x@y>' })
    expect(b.messageId).toBe('<x@y>')
  })

  test('generates <uuid@from-domain> when no Message-ID is given', async () => {
    const m = await composeMessage(base)
    expect(m.messageId).toMatch(/^<[0-9a-f-]{36}@example\.com>$/)
    expect(header(m.raw, 'Message-ID')).toBe(m.messageId)
  })

  test('writes Date, From with name, To and MIME-Version', async () => {
    const m = await composeMessage({ ...base, fromName: 'Appliance', to: ['a@example.org', 'b@example.org'], date: new Date('2026-01-02T03:04:05Z') })
    expect(header(m.raw, 'Date')).toBe('Fri, 02 Jan 2026 03:04:05 +0000')
    expect(header(m.raw, 'From')).toBe('Appliance <alerts@example.com>')
    expect(header(m.raw, 'To')).toBe('a@example.org, b@example.org')
    expect(header(m.raw, 'MIME-Version')).toBe('1.0')
  })

  test('encodes a non-ASCII subject and display name as RFC 2047 encoded-words', async () => {
    const m = await composeMessage({ ...base, subject: 'Угроза: DDoS 攻撃', fromName: 'Störungsmelder' })
    expect(header(m.raw, 'Subject')).toMatch(/=\?UTF-8\?[BQ]\?/)
    expect(header(m.raw, 'From')).toMatch(/^=\?UTF-8\?[BQ]\?.*\?= <alerts@example\.com>$/)
    const head = m.raw.subarray(0, m.raw.indexOf('\r\n\r\n'))
    expect([...head].every((b) => b < 0x80)).toBe(true)
  })

  test('keeps non-ASCII bodies 7-bit safe when 8-bit is not allowed', async () => {
    const m = await composeMessage({ ...base, text: 'Größe überschritten', html: '<p>Größe</p>' })
    expect(m.eightBit).toBe(false)
    expect([...m.raw].every((b) => b < 0x80)).toBe(true)
    expect(m.raw.toString()).toMatch(/Content-Transfer-Encoding: (quoted-printable|base64)/)
  })

  test('sends a non-ASCII text-only body as 8bit when allowed', async () => {
    const m = await composeMessage({ ...base, text: 'Größe überschritten\nzweite Zeile', allow8bit: true })
    expect(m.eightBit).toBe(true)
    expect(header(m.raw, 'Content-Transfer-Encoding')).toBe('8bit')
    expect(header(m.raw, 'Content-Type')).toBe('text/plain; charset=utf-8')
    expect(header(m.raw, 'From')).toBe('alerts@example.com')
    expect(m.raw.toString('utf8')).toContain('\r\n\r\nGröße überschritten\r\nzweite Zeile')
  })

  test('sends both alternatives as 8bit when allowed', async () => {
    const m = await composeMessage({ ...base, text: 'Größe', html: '<p>Größe</p>', allow8bit: true })
    const text = m.raw.toString('utf8')
    expect(text).toMatch(/Content-Type: multipart\/alternative/)
    expect(text.match(/Content-Transfer-Encoding: 8bit/g)).toHaveLength(2)
    expect(text).toContain('<p>Größe</p>')
    expect(m.eightBit).toBe(true)
  })

  test('falls back to quoted-printable when an 8-bit line exceeds 998 octets', async () => {
    const m = await composeMessage({ ...base, text: 'ü'.repeat(600), allow8bit: true })
    expect(m.eightBit).toBe(false)
    expect(header(m.raw, 'Content-Transfer-Encoding')).toMatch(/quoted-printable|base64/)
  })

  test('an ASCII message is not eightBit even when 8-bit is allowed', async () => {
    const m = await composeMessage({ ...base, allow8bit: true })
    expect(m.eightBit).toBe(false)
  })

  test('ends every line with CRLF', async () => {
    const m = await composeMessage({ ...base, text: 'a\nb\r\nc', html: '<p>\nx</p>' })
    expect(m.raw.toString('latin1')).not.toMatch(/[^\r]\n|\r(?!\n)/)
  })

  test('adds extra headers, encoding non-ASCII values', async () => {
    const m = await composeMessage({ ...base, headers: { 'X-Alert-Severity': 'critical', 'X-Source': 'Zürich' } })
    expect(header(m.raw, 'X-Alert-Severity')).toBe('critical')
    expect(header(m.raw, 'X-Source')).toMatch(/^=\?UTF-8\?/)
  })
})

describe('composeMessage refuses header injection and bad input, naming the field', () => {
  test.each([
    [{ subject: 'hi\r\nBcc: victim@example.net' }, 'subject'],
    [{ subject: 'hi\nthere' }, 'subject'],
    [{ fromName: 'Bad\0Name' }, 'fromName'],
    [{ from: 'alerts@example.com\r\nX: y' }, 'from'],
    [{ to: ['ok@example.org', 'b@example.org\r\nBcc: x@example.net'] }, 'to[1]'],
    [{ to: ['a@example.org, b@example.org'] }, 'to[0]'],
    [{ to: [] }, 'to'],
    [{ headers: { 'X-Tag': 'a\rb' } }, 'headers.X-Tag'],
    [{ headers: { 'Bad Name': 'x' } }, 'headers.Bad Name'],
    [{ headers: { ['X-' + 'n'.repeat(80)]: 'x' } }, `headers.X-${'n'.repeat(80)}`],
    [{ headers: { 'Content-Type': 'text/html' } }, 'headers.Content-Type'],
    [{ headers: { From: 'evil@example.net' } }, 'headers.From'],
    [{ messageId: '<a@b>\r\nX: y' }, 'messageId'],
    [{ messageId: 'no-at-sign' }, 'messageId'],
  ] as const)('%j → %s', async (input, field) => {
    const err = await refusal(input)
    expect(err.code).toBe('ERR_MIME_HEADER')
    expect(err.field).toBe(field)
    expect(err.message).toContain(field)
  })
})

describe('long and encoded-word-like header text (RFC 5322 §2.1.1, RFC 2047 §5)', () => {
  const lines = (raw: Buffer) => raw.toString('latin1').split('\r\n')

  test('an unbroken 5000-character subject, name or header value is folded as encoded-words', async () => {
    const long = 'y'.repeat(5000)
    const m = await composeMessage({ ...base, subject: long, fromName: long, headers: { 'X-Alert-Source': long } })
    for (const l of lines(m.raw)) expect(Buffer.byteLength(l, 'latin1')).toBeLessThanOrEqual(78)
    expect(header(m.raw, 'Subject')).toMatch(/^=\?UTF-8\?B\?/)
  })

  test('text that looks like an encoded-word is itself encoded, and a name is never encoded inside quotes', async () => {
    const m = await composeMessage({ ...base, subject: '=?utf-8?B?SGk=?=', fromName: '=?utf-8?B?SGk=?= x' })
    expect(header(m.raw, 'Subject')).not.toContain('SGk=')
    const from = header(m.raw, 'From') ?? ''
    expect(from).toMatch(/^=\?UTF-8\?B\?[^"]*\?= <alerts@example\.com>$/)
  })

  test('ordinary text is left to MailComposer unchanged', async () => {
    const m = await composeMessage({ ...base, fromName: 'Alert Bot' })
    expect(header(m.raw, 'From')).toBe('Alert Bot <alerts@example.com>')
    expect(header(m.raw, 'Subject')).toBe('Attack mitigated')
  })
})
