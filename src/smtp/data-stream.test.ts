import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bdatChunks, prepareBody, unstuff } from './data-stream.js'

const text = (b: Buffer) => b.toString('latin1')

describe('prepareBody', () => {
  it('returns CRLF input that needs nothing without copying', () => {
    const input = Buffer.from('Subject: x\r\n\r\nhello\r\n')
    const out = prepareBody(input, true)
    expect(out.bytes).toBe(input)
    expect(out.size).toBe(input.length)
    expect(out.eightBit).toBe(false)
  })

  it('turns bare LF and bare CR into CRLF and terminates the last line', () => {
    expect(text(prepareBody('a\nb\rc\r\nd', true).bytes)).toBe('a\r\nb\r\nc\r\nd\r\n')
  })

  it('doubles a leading dot on every line for DATA (RFC 5321 §4.5.2)', () => {
    const out = prepareBody('.first\n..second\nmid.dle\n.\n', true)
    expect(text(out.bytes)).toBe('..first\r\n...second\r\nmid.dle\r\n..\r\n')
    expect(out.size).toBe('.first\r\n..second\r\nmid.dle\r\n.\r\n'.length)
  })

  it('does not stuff for BDAT', () => {
    expect(text(prepareBody('.x\n', false).bytes)).toBe('.x\r\n')
  })

  it('detects 8-bit content', () => {
    expect(prepareBody('héllo\r\n', true).eightBit).toBe(true)
    expect(prepareBody(new Uint8Array([0x41, 0x0d, 0x0a]), true).eightBit).toBe(false)
  })

  it('never emits a bare CR or LF or an unstuffed terminator, and unstuffs to the normalised message (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '.', '\r', '\n', '\r\n', 'é', ' '), { maxLength: 40 }), (parts) => {
        const input = parts.join('')
        const out = prepareBody(input, true)
        const wire = text(out.bytes)
        expect(wire.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
        expect(('\r\n' + wire).includes('\r\n.\r\n')).toBe(false)
        const normalised = prepareBody(input, false)
        expect(unstuff(out.bytes).equals(normalised.bytes)).toBe(true)
        expect(out.size).toBe(normalised.bytes.length)
      }),
    )
  })
})

describe('bdatChunks', () => {
  it('sends one BDAT n LAST up to the chunk size', () => {
    expect(bdatChunks(10, 100)).toEqual([{ header: 'BDAT 10 LAST', start: 0, end: 10 }])
  })

  it('splits a large message, LAST on the final chunk only', () => {
    expect(bdatChunks(250, 100).map((c) => c.header)).toEqual(['BDAT 100', 'BDAT 100', 'BDAT 50 LAST'])
  })
})
