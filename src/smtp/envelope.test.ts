import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkAddress, formatMailFrom, formatRcptTo, isAscii, xtextDecode, xtextEncode } from './envelope.js'

describe('formatMailFrom', () => {
  it('sends no parameter unless asked', () => {
    expect(formatMailFrom('a@example.com')).toBe('MAIL FROM:<a@example.com>')
  })

  it('adds SIZE, BODY=8BITMIME, SMTPUTF8, RET and ENVID in that order', () => {
    expect(formatMailFrom('ä@example.com', { size: 1234, eightBitMime: true, smtpUtf8: true, ret: 'HDRS', envelopeId: 'id+1=x' })).toBe(
      'MAIL FROM:<ä@example.com> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1+3Dx',
    )
  })

  it('sends no RET for NONE and accepts the null reverse-path', () => {
    expect(formatMailFrom('', { ret: 'NONE' })).toBe('MAIL FROM:<>')
  })
})

describe('formatRcptTo', () => {
  it('adds NOTIFY and ORCPT as xtext', () => {
    expect(formatRcptTo('b@example.com', { notify: ['SUCCESS', 'FAILURE'], orcpt: 'b @x' })).toBe(
      'RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+20@x',
    )
  })

  it('sends no NOTIFY for an empty list', () => {
    expect(formatRcptTo('b@example.com', { notify: [] })).toBe('RCPT TO:<b@example.com>')
  })

  it('refuses NEVER combined with other values (RFC 3461 §4.1)', () => {
    expect(() => formatRcptTo('b@example.com', { notify: ['NEVER', 'DELAY'] })).toThrow(/NEVER/)
  })
})

describe('checkAddress', () => {
  it.each(['a@b\r\nRCPT TO:<x@y>', 'a@b\n', 'a\0@b', 'a@b> SIZE=1', '<a@b', 'a b@c', ''])('refuses %j with ERR_SMTP_ENVELOPE', (addr) => {
    expect(() => checkAddress(addr, 'to', false)).toThrow(expect.objectContaining({ code: 'ERR_SMTP_ENVELOPE', retry: 'permanent' }) as Error)
  })

  it('never lets CR, LF or NUL into a command line (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (from, to) => {
        for (const f of [() => formatMailFrom(from, { envelopeId: to }), () => formatRcptTo(to, { orcpt: from })]) {
          let line: string
          try {
            line = f()
          } catch {
            continue
          }
          expect(line).not.toMatch(/[\r\n\0]/)
        }
      }),
    )
  })
})

describe('xtext', () => {
  it('encodes +, = and controls as +XX', () => {
    expect(xtextEncode('a+b=c d\u0001')).toBe('a+2Bb+3Dc+20d+01')
  })

  it('round-trips any string (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      expect(xtextDecode(xtextEncode(s))).toBe(s)
    }))
  })

  it('only produces xchar and hexchar (property)', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      expect(xtextEncode(s)).toMatch(/^([!-*,-<>-~]|\+[0-9A-F]{2})*$/)
    }))
  })
})

describe('isAscii', () => {
  it('tells when SMTPUTF8 is needed', () => {
    expect(isAscii('a@example.com')).toBe(true)
    expect(isAscii('jörg@example.com')).toBe(false)
  })
})
