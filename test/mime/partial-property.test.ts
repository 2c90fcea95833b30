import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { composeMessage, joinPartial, splitPartial } from '../../src/mime/index.js'

describe('split → join is the identity', () => {
  test('for composed messages of any text and any workable limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.string({ unit: 'grapheme', maxLength: 4000 }),
        fc.boolean(),
        fc.integer({ min: 1200, max: 20_000 }),
        async (subject, text, withHtml, maxBytes) => {
          const safeSubject = subject.replace(/[\r\n\0]/g, ' ')
          const m = await composeMessage({ from: 'a@example.com', to: 'b@example.org', subject: safeSubject, text, ...(withHtml ? { html: `<pre>${text}</pre>` } : {}), allow8bit: false })
          const parts = splitPartial(m.raw, maxBytes)
          for (const p of parts) expect(p.length).toBeLessThanOrEqual(maxBytes)
          expect(joinPartial(parts).equals(m.raw)).toBe(true)
          expect(joinPartial([...parts].reverse()).equals(m.raw)).toBe(true)
        },
      ),
      { numRuns: 150 },
    )
  })

  test('for arbitrary 7-bit messages with mixed line ends', () => {
    const line = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 })
    const eol = fc.constantFrom('\r\n', '\n')
    fc.assert(
      fc.property(
        fc.array(fc.tuple(line, eol), { maxLength: 300 }),
        fc.boolean(),
        fc.integer({ min: 600, max: 6000 }),
        (lines, trailing, maxBytes) => {
          const body = lines.map(([l, e]) => l + e).join('') + (trailing ? 'no final newline' : '')
          const raw = Buffer.from(`From: a@example.com\r\nSubject: prop\r\nMessage-ID: <p@example.com>\r\n\r\n${body}`, 'latin1')
          const parts = splitPartial(raw, maxBytes)
          expect(joinPartial(parts).equals(raw)).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })
})
