/**
 * Property tests (issue 6 §1) for mime/: any subject, display name and body in any script
 * round-trips through an independent parser (mailparser), and message/partial split → join is
 * the identity. 10,000 cases each; fast-check prints the seed on failure.
 */
import fc from 'fast-check'
import { simpleParser } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { composeMessage, joinPartial, MimeError, splitPartial } from '../../src/mime/index.js'

const RUNS = Number(process.env.RUNS ?? 10_000)

/** One character from every script we expect alerts in, plus emoji and ASCII punctuation. */
const scriptChar = fc.oneof(
  fc.constantFrom('a', 'Z', '0', ' ', '.', ',', ':', ';', '"', "'", '(', ')', '<', '>', '@', '=', '?', '_', '\\', '[', ']', '\t'),
  fc.constantFrom('ä', 'ß', 'é', 'œ', 'Ж', 'я', 'Ω', 'λ', '攻', '撃', '中', '한', 'ع', 'ש', 'ह', '\u0301', '🚨', '🛡️', '👩‍💻', '\u00a0', '\u200b'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
)
const text = (maxLength: number) => fc.string({ unit: scriptChar, maxLength })
/** Encoded-word look-alikes: must come back literally, never decoded. */
const encodedWordTrick = fc.constantFrom('=?utf-8?B?SGk=?=', '=?UTF-8?Q?a=0D=0AX-Evil:_1?=', '=?iso-8859-1?q?=E9?=', '=?x?y?z?=')

const subjectArb = text(80)

/**
 * mailparser reads a header value as RFC 5322 unstructured text: leading and trailing white space
 * is not part of it and runs of folding white space collapse (RFC 5322 §3.2.2). What it reports
 * is this, so this is what we compare with.
 */
function headerText(s: string): string {
  return s.replace(/[ \t]+/g, ' ').trim()
}

describe('composeMessage → mailparser', () => {
  it('any subject, display name and body, in any script, reads back unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(subjectArb, text(30), text(150), fc.boolean(), async (subject, name, body, allow8bit) => {
        const fromName = name.trim() === '' ? undefined : name
        const m = await composeMessage({ from: 'alerts@example.com', fromName, to: 'ops@example.org', subject, text: body, allow8bit, messageId: '<p@example.com>' })
        const parsed = await simpleParser(m.raw)
        expect(headerText(parsed.subject ?? '')).toBe(headerText(subject))
        if (fromName !== undefined) expect(headerText(parsed.from?.value[0]?.name ?? '')).toBe(headerText(fromName))
        expect(parsed.from?.value[0]?.address).toBe('alerts@example.com')
        expect((parsed.text ?? '').replace(/\n$/, '')).toBe(body.replace(/\r\n?/g, '\n').replace(/\n$/, ''))
        // Only the headers we wrote: no value ever became a header of its own.
        const names = [...parsed.headers.keys()].sort()
        expect(names.every((n) => ['content-transfer-encoding', 'content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to'].includes(n)), names.join(',')).toBe(true)
        for (const line of m.raw.toString('latin1').split('\r\n')) expect(Buffer.byteLength(line, 'latin1')).toBeLessThanOrEqual(998)
      }),
      { numRuns: RUNS },
    )
  }, 600_000)

  it('text that looks like an RFC 2047 encoded-word reads back literally, never decoded (RFC 2047 §5, §7)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(text(20), encodedWordTrick, text(20)).map((p) => p.join(' ')), fc.boolean(), async (value, inName) => {
        const m = await composeMessage({ from: 'alerts@example.com', to: 'ops@example.org', subject: inName ? 'ok' : value, ...(inName ? { fromName: value } : {}), text: 'x', allow8bit: false })
        const parsed = await simpleParser(m.raw)
        if (inName) expect(headerText(parsed.from?.value[0]?.name ?? '')).toBe(headerText(value))
        else expect(headerText(parsed.subject ?? '')).toBe(headerText(value))
      }),
      { numRuns: RUNS },
    )
  }, 600_000)

  it('refuses a subject or name carrying CR, LF or NUL instead of writing it', async () => {
    const breaker = fc.tuple(text(10), fc.constantFrom('\r', '\n', '\r\n', '\0', '\r\nBcc: x@evil.test'), text(10)).map((p) => p.join(''))
    await fc.assert(
      fc.asyncProperty(breaker, fc.boolean(), async (bad, inName) => {
        const input = { from: 'alerts@example.com', to: 'ops@example.org', subject: inName ? 'ok' : bad, ...(inName ? { fromName: bad } : {}), text: 'x', allow8bit: false }
        await expect(composeMessage(input)).rejects.toBeInstanceOf(MimeError)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('message/partial (RFC 2046 §5.2.2)', () => {
  it('split then join is the identity for any 7-bit message and any workable fragment size, in any order', () => {
    const line = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 100 })
    const header = fc.constantFrom('Subject: s', 'X-A: 1', 'Received: from x by y', 'Content-Type: text/plain', 'MIME-Version: 1.0', 'Message-ID: <m@x>', 'To: a@b.c')
    fc.assert(
      fc.property(
        fc.array(header, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(line, fc.constantFrom('\r\n', '\n')), { maxLength: 80 }),
        fc.integer({ min: 700, max: 4000 }),
        fc.nat(),
        (headers, lines, maxBytes, rot) => {
          const raw = Buffer.from(`${headers.join('\r\n')}\r\n\r\n${lines.map(([l, e]) => l + e).join('')}`, 'latin1')
          const parts = splitPartial(raw, maxBytes)
          for (const p of parts) expect(p.length).toBeLessThanOrEqual(maxBytes)
          const k = rot % parts.length
          const rotated = [...parts.slice(k), ...parts.slice(0, k)]
          expect(joinPartial(rotated).equals(raw)).toBe(true)
        },
      ),
      { numRuns: RUNS },
    )
  })
})
