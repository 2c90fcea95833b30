/**
 * Property tests (issue 6 §1) for the SMTP client's pure parsers and formatters, 10,000 cases
 * each. fast-check prints the seed and the shrunk counter-example on failure; rerun one with
 * `fc.assert(..., { seed, path })`.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseEhlo } from '../../src/smtp/capabilities.js'
import { END_OF_DATA, prepareBody } from '../../src/smtp/data-stream.js'
import { formatMailFrom, formatRcptTo, xtextDecode, xtextEncode } from '../../src/smtp/envelope.js'
import { SmtpError } from '../../src/smtp/index.js'
import { parseReplies, type Reply } from '../../src/smtp/reply.js'
import { dottyBody, normalised } from './bodies.js'

/** Pure properties run 10,000 cases (issue 6: "at least 10,000 cases each in CI"). */
const RUNS = 10_000

/** Text a server may put after the code: any script, no CR/LF. */
const replyText = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ' '))

interface Generated {
  readonly code: number
  readonly lines: readonly string[]
}

const generatedReply: fc.Arbitrary<Generated> = fc.record({
  code: fc.integer({ min: 200, max: 599 }),
  lines: fc.array(replyText, { minLength: 1, maxLength: 5 }),
})

function wire(replies: readonly Generated[], eol: string): Buffer {
  const text = replies
    .map((r) => r.lines.map((l, i) => `${r.code}${i === r.lines.length - 1 ? ' ' : '-'}${l}${eol}`).join(''))
    .join('')
  return Buffer.from(text, 'utf8')
}

/** Feeds `chunks` the way Session#onData does: the previous rest prefixed to each chunk. */
function feed(chunks: readonly Buffer[]): { replies: Reply[]; rest: Buffer } {
  const replies: Reply[] = []
  let rest: Buffer = Buffer.alloc(0)
  for (const chunk of chunks) {
    const parsed = parseReplies(rest.length === 0 ? chunk : Buffer.concat([rest, chunk]))
    replies.push(...parsed.replies)
    rest = parsed.rest
  }
  return { replies, rest }
}

function cut(buf: Buffer, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const p of at) {
    out.push(buf.subarray(prev, p))
    prev = p
  }
  out.push(buf.subarray(prev))
  return out
}

/** Outcome of parsing, errors reduced to "an SmtpError was thrown" (anything else fails the test). */
function outcome(run: () => { replies: Reply[]; rest: Buffer }): { replies: Reply[]; rest: string } | 'SmtpError' {
  try {
    const r = run()
    return { replies: r.replies, rest: r.rest.toString('latin1') }
  } catch (e) {
    if (e instanceof SmtpError) return 'SmtpError'
    throw e
  }
}

describe('SMTP reply parsing (RFC 5321 §4.2)', () => {
  it('any split of well-formed replies gives the same replies as the whole stream', () => {
    fc.assert(
      fc.property(fc.array(generatedReply, { maxLength: 6 }), fc.constantFrom('\r\n', '\n'), fc.array(fc.nat(), { maxLength: 8 }), (replies, eol, points) => {
        const bytes = wire(replies, eol)
        const whole = feed([bytes])
        const split = feed(cut(bytes, points))
        expect(split.replies).toEqual(whole.replies)
        expect(whole.rest.length).toBe(0)
        expect(split.rest.length).toBe(0)
        expect(whole.replies.map((r) => r.code)).toEqual(replies.map((r) => r.code))
        // Text is kept as sent unless it starts with an enhanced status code (then it is split off).
        replies.forEach((r, i) => {
          if (!/^[245]\.\d/.test(r.lines[0] ?? '')) expect(whole.replies[i]?.text).toBe(r.lines.join('\n'))
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('any byte stream, split anywhere, parses like the whole stream and throws nothing but SmtpError', () => {
    // Bytes biased towards reply-like text so the parser's deeper branches are reached.
    const token = fc.oneof(
      fc.constantFrom('250', '250-', '250 ', '550 5.1.1 ', '4', '\r\n', '\n', '\r', '-', ' ', '2.0.0', '\u00e9', '\u{1F6A8}', '999 ', '199 '),
      fc.string({ maxLength: 6 }),
    )
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.array(token, { maxLength: 40 }).map((t) => Buffer.from(t.join(''), 'utf8')),
    )
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 10 }), (bytes, points) => {
        const whole = outcome(() => feed([bytes]))
        const split = outcome(() => feed(cut(bytes, points)))
        expect(split).toEqual(whole)
      }),
      { numRuns: RUNS },
    )
  })

  it('a UTF-8 character split between packets decodes the same', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, '.')), fc.nat(), (text, at) => {
        const bytes = Buffer.from(`250 ${text}\r\n`, 'utf8')
        const p = at % bytes.length
        const r = feed([bytes.subarray(0, p), bytes.subarray(p)])
        expect(r.replies).toHaveLength(1)
        expect(r.replies[0]?.text).toBe(parseReplies(bytes).replies[0]?.text)
      }),
      { numRuns: RUNS },
    )
  })
})

const KEYWORDS = ['PIPELINING', 'CHUNKING', '8BITMIME', 'SMTPUTF8', 'DSN', 'STARTTLS', 'ENHANCEDSTATUSCODES'] as const
type Keyword = (typeof KEYWORDS)[number]
const FLAG: Record<Keyword, 'pipelining' | 'chunking' | 'eightBitMime' | 'smtpUtf8' | 'dsn' | 'startTls' | 'enhancedStatusCodes'> = {
  PIPELINING: 'pipelining',
  CHUNKING: 'chunking',
  '8BITMIME': 'eightBitMime',
  SMTPUTF8: 'smtpUtf8',
  DSN: 'dsn',
  STARTTLS: 'startTls',
  ENHANCEDSTATUSCODES: 'enhancedStatusCodes',
}

/** Letter case from a bit mask: keywords are case-insensitive (RFC 5321 §2.4). */
function withCase(word: string, mask: number): string {
  return [...word].map((c, i) => ((mask >> i) & 1 ? c.toLowerCase() : c.toUpperCase())).join('')
}

describe('EHLO capabilities (RFC 5321 §4.1.1.1)', () => {
  it('reads every advertised keyword, AUTH mechanism and SIZE, whatever the case, order, spacing or unknown lines', () => {
    const mechanism = fc.stringMatching(/^[A-Z0-9_-]{1,12}$/)
    const unknown = fc.stringMatching(/^X[A-Z0-9-]{0,10}( [ -~]{0,20})?$/)
    const spaces = fc.constantFrom(' ', '  ', '\t', ' \t ')
    fc.assert(
      fc.property(
        fc.subarray([...KEYWORDS]),
        fc.uniqueArray(mechanism, { maxLength: 5 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
        fc.array(unknown, { maxLength: 4 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        spaces,
        (keywords, mechanisms, oldForm, size, extra, seed, space) => {
          const lines = keywords.map((k, i) => withCase(k, seed * (i + 1) * 2654435761))
          if (mechanisms.length > 0) lines.push(`${oldForm ? 'auth=' : 'AUTH'}${oldForm ? '' : space}${mechanisms.map((m) => m.toLowerCase()).join(space)}`)
          if (size !== undefined) lines.push(`SIZE${space}${size}`)
          lines.push(...extra)
          // Deterministic shuffle from the seed.
          const order = lines.map((l, i) => ({ l, k: (i * 7919 + seed) % 1009 })).sort((a, b) => a.k - b.k).map((x) => x.l)
          const caps = parseEhlo({ code: 250, text: ['mx.example.test Hello', ...order].join('\n') })
          for (const k of KEYWORDS) expect(caps[FLAG[k]], k).toBe(keywords.includes(k))
          expect([...caps.auth].sort()).toEqual([...mechanisms].sort())
          expect(caps.size).toBe(size === undefined || size === 0 ? undefined : size)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('never throws and never invents an extension from arbitrary reply text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 8 }), (lines) => {
        const caps = parseEhlo({ code: 250, text: lines.join('\n') })
        const body = lines.slice(1).map((l) => l.trim().toUpperCase())
        if (caps.pipelining) expect(body.some((l) => /^PIPELINING(\s|=|$)/.test(l))).toBe(true)
        if (caps.startTls) expect(body.some((l) => /^STARTTLS(\s|=|$)/.test(l))).toBe(true)
        if (caps.size !== undefined) expect(Number.isSafeInteger(caps.size) && caps.size > 0).toBe(true)
      }),
      { numRuns: RUNS },
    )
  })
})

/** A string with a good share of the characters that break SMTP command lines. */
const hostile = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('\r', '\n', '\0', '<', '>', ' ', '\t', '=', '+', '@', ':', '\u2028', '\u0085') },
    { weight: 5, arbitrary: fc.constantFrom('a', 'b', 'x', '.', '-', '1') },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 40,
})

/** No lone surrogate (those cannot survive UTF-8, which is what xtext encodes). */
function wellFormed(s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s
}

describe('envelope formatting (RFC 5321 §4.1.1.2/3, RFC 3461 xtext)', () => {
  it('MAIL FROM / RCPT TO never carry CR, LF or NUL: they format a single line or throw SmtpError', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (from, to, envelopeId, orcpt) => {
        for (const make of [() => formatMailFrom(from, { envelopeId, size: 10, ret: 'HDRS' }), () => formatRcptTo(to, { orcpt, notify: ['FAILURE'] })]) {
          let line: string
          try {
            line = make()
          } catch (e) {
            expect(e).toBeInstanceOf(SmtpError)
            expect((e as SmtpError).code).toBe('ERR_SMTP_ENVELOPE')
            continue
          }
          expect(line).not.toMatch(/[\r\n\0]/)
          // The address stays inside its brackets: exactly one '<' and the parameters after '>' are key=value words.
          const m = /^(MAIL FROM|RCPT TO):<([^<>]*)>((?: [A-Z]+=[\x21-\x7e]+)*)$/.exec(line)
          expect(m, line).not.toBeNull()
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('xtext is printable ASCII without + or = outside escapes, and decodes to the original', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), hostile, (a, b) => {
        for (const s of [a, wellFormed(b) ? b : a]) {
          const x = xtextEncode(s)
          expect(x).toMatch(/^([\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})*$/)
          expect(xtextDecode(x)).toBe(s)
        }
      }),
      { numRuns: RUNS },
    )
  })
})

/** What a conforming server stores (RFC 5321 §4.5.2): lines up to the lone '.', one leading dot removed. */
function serverReceive(wireBytes: Buffer): { stored: string; trailing: string } {
  const text = wireBytes.toString('latin1')
  const lines = text.split('\r\n')
  const out: string[] = []
  let i = 0
  for (; i < lines.length; i++) {
    const l = lines[i] as string
    if (l === '.') break
    out.push(l.startsWith('.') ? l.slice(1) : l)
  }
  return { stored: out.length === 0 ? '' : out.join('\r\n') + '\r\n', trailing: lines.slice(i + 1).join('\r\n') }
}

describe('dot-stuffing (RFC 5321 §4.5.2)', () => {
  it('any body with arbitrary "." lines arrives intact, and the end-of-data marker is only the one we add', () => {
    fc.assert(
      fc.property(dottyBody, (body) => {
        const prepared = prepareBody(body, true)
        const onWire = Buffer.concat([prepared.bytes, END_OF_DATA])
        const { stored, trailing } = serverReceive(onWire)
        expect(trailing).toBe('')
        expect(stored).toBe(Buffer.from(normalised(body), 'utf8').toString('latin1'))
        expect(prepared.size).toBe(Buffer.byteLength(normalised(body)))
      }),
      { numRuns: RUNS },
    )
  })
})
