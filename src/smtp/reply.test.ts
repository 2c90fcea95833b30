import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SmtpError } from './errors.js'
import { formatReply, parseReplies, type Reply } from './reply.js'

const b = (s: string) => Buffer.from(s, 'utf8')

describe('parseReplies', () => {
  it('parses a single-line reply with an enhanced status code', () => {
    const { replies, rest } = parseReplies(b('250 2.1.0 Sender ok\r\n'))
    expect(replies).toEqual([{ code: 250, enhanced: '2.1.0', text: 'Sender ok' }])
    expect(rest.length).toBe(0)
  })

  it('joins a multi-line reply and strips the enhanced code from every line', () => {
    const { replies } = parseReplies(b('550-5.1.1 No such user\r\n550 5.1.1 here\r\n'))
    expect(replies).toEqual([{ code: 550, enhanced: '5.1.1', text: 'No such user\nhere' }])
  })

  it('keeps an incomplete reply in rest, including the finished lines of a multi-line one', () => {
    const { replies, rest } = parseReplies(b('250 ok\r\n250-first\r\n250 sec'))
    expect(replies).toHaveLength(1)
    expect(rest.toString()).toBe('250-first\r\n250 sec')
  })

  it('accepts a bare LF and a code with no text', () => {
    expect(parseReplies(b('354\n')).replies).toEqual([{ code: 354, text: '' }])
  })

  it('parses several pipelined replies from one packet', () => {
    const { replies } = parseReplies(b('250 2.1.0 ok\r\n550 5.1.1 no\r\n354 go\r\n'))
    expect(replies.map((r) => r.code)).toEqual([250, 550, 354])
  })

  it('keeps an enhanced code whose class disagrees with the basic code (it wins in classify)', () => {
    expect(parseReplies(b('550 4.2.2 Mailbox full\r\n')).replies[0]).toEqual({ code: 550, enhanced: '4.2.2', text: 'Mailbox full' })
  })

  it('decodes a UTF-8 character split across packets', () => {
    const bytes = b('220 fäke ✓ ready\r\n')
    const cut = bytes.indexOf(0xe2) + 1 // inside the 3-byte check mark
    const first = parseReplies(bytes.subarray(0, cut))
    expect(first.replies).toHaveLength(0)
    const second = parseReplies(Buffer.concat([first.rest, bytes.subarray(cut)]))
    expect(second.replies[0]?.text).toBe('fäke ✓ ready')
  })

  it.each(['HTTP/1.1 400 Bad Request\r\n', '25 short\r\n', '250xno separator\r\n', '650 out of range\r\n'])(
    'refuses garbage %j with ERR_SMTP_PROTOCOL',
    (garbage) => {
      expect(() => parseReplies(b(garbage))).toThrow(SmtpError)
      try {
        parseReplies(b(garbage))
      } catch (e) {
        expect((e as SmtpError).code).toBe('ERR_SMTP_PROTOCOL')
      }
    },
  )

  it('refuses a code that changes inside a multi-line reply', () => {
    expect(() => parseReplies(b('250-a\r\n251 b\r\n'))).toThrow(/multi-line/)
  })

  it('refuses an endless line', () => {
    expect(() => parseReplies(Buffer.alloc(70_000, 0x41))).toThrow(/too long/)
  })

  it('gives the same replies however the bytes are split (property)', () => {
    const line = fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ''))
    const replyArb = fc.record({
      code: fc.constantFrom(220, 250, 354, 421, 450, 550, 554),
      lines: fc.array(line, { minLength: 1, maxLength: 4 }),
    })
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (rs, cuts) => {
        const wire = b(rs.map((r) => r.lines.map((l, i) => `${r.code}${i === r.lines.length - 1 ? ' ' : '-'}${l}\r\n`).join('')).join(''))
        const whole = parseReplies(wire).replies
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((x, y) => x - y)
        const got: Reply[] = []
        let rest: Buffer = Buffer.alloc(0)
        let prev = 0
        for (const p of [...points, wire.length]) {
          const out = parseReplies(Buffer.concat([rest, wire.subarray(prev, p)]))
          got.push(...out.replies)
          rest = out.rest
          prev = p
        }
        expect(got).toEqual(whole)
        expect(whole).toHaveLength(rs.length)
      }),
    )
  })
})

describe('formatReply', () => {
  it('renders code, enhanced code and text on one line', () => {
    expect(formatReply({ code: 550, enhanced: '5.1.1', text: 'No such\nuser' })).toBe('550 5.1.1 No such | user')
  })
})
