import { describe, expect, test } from 'vitest'
import { MimeError } from './errors.js'
import { fieldValue, parseContentType, parseFields, splitMessage } from './header-block.js'
import { joinPartial, splitPartial } from './partial.js'

const original = Buffer.from(
  [
    'Content-Type: text/plain; charset=utf-8',
    'From: Appliance <alerts@example.com>',
    'To: ops@example.org',
    'X-Weird: kept',
    'Subject: Big report',
    'Message-ID: <report-1@example.com>',
    'Date: Fri, 02 Jan 2026 03:04:05 +0000',
    'MIME-Version: 1.0',
    'Content-Transfer-Encoding: 7bit',
    '',
    ...Array.from({ length: 200 }, (_, i) => `line ${i} of the report, padded to a fair width ............`),
    '',
  ].join('\r\n'),
)

function outer(fragment: Buffer) {
  const fields = parseFields(splitMessage(fragment).head)
  const get = (name: string) => fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
  const ct = get('Content-Type')
  return { names: fields.map((f) => f.name), get, ct: ct ? parseContentType(fieldValue(ct)) : undefined }
}

function expectMimeError(fn: () => unknown, pattern: RegExp): void {
  let err: unknown
  try { fn() } catch (e) { err = e }
  expect(err).toBeInstanceOf(MimeError)
  expect((err as MimeError).code).toBe('ERR_MIME_PARTIAL')
  expect((err as MimeError).message).toMatch(pattern)
}

describe('splitPartial (RFC 2046 §5.2.2)', () => {
  test('every fragment, header included, fits in maxBytes', () => {
    const parts = splitPartial(original, 1500)
    expect(parts.length).toBeGreaterThan(5)
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1500)
  })

  test('fragments share id and total and are numbered from 1', () => {
    const parts = splitPartial(original, 1500)
    parts.forEach((p, i) => {
      const { ct } = outer(p)
      expect(ct?.type).toBe('message/partial')
      expect(ct?.params.get('id')).toBe('report-1@example.com')
      expect(ct?.params.get('number')).toBe(String(i + 1))
      expect(ct?.params.get('total')).toBe(String(parts.length))
    })
  })

  test('outer headers copy the non-Content fields and carry their own Subject and Message-ID (§5.2.2.1)', () => {
    const parts = splitPartial(original, 1500)
    const first = outer(parts[0]!)
    expect(first.names).toEqual(['From', 'To', 'X-Weird', 'Date', 'Subject', 'Message-ID', 'MIME-Version', 'Content-Type'])
    expect(fieldValue(first.get('Subject')!)).toBe(`Big report (part 1 of ${parts.length})`)
    expect(fieldValue(first.get('Message-ID')!)).not.toBe('<report-1@example.com>')
    const ids = new Set(parts.map((p) => fieldValue(outer(p).get('Message-ID')!)))
    expect(ids.size).toBe(parts.length)
    // RFC 2046 §5.2.2: message/partial is always 7bit, the default, so no CTE field at all.
    expect(first.get('Content-Transfer-Encoding')).toBeUndefined()
  })

  test('fragment 1 encloses the original header verbatim', () => {
    const [first] = splitPartial(original, 1500)
    const enclosed = splitMessage(first!).body
    expect(splitMessage(enclosed).head.equals(splitMessage(original).head)).toBe(true)
  })

  test('splits at line boundaries only', () => {
    for (const p of splitPartial(original, 1000)) {
      const body = splitMessage(p).body
      expect(body.subarray(-2).toString()).toBe('\r\n')
    }
  })

  test('joinPartial restores the original byte-for-byte from fragments in any order', () => {
    const parts = splitPartial(original, 1200)
    const shuffled = [...parts].reverse()
    shuffled.push(shuffled.splice(1, 1)[0]!)
    expect(joinPartial(shuffled).equals(original)).toBe(true)
  })

  test('a message that already fits becomes one fragment of total 1', () => {
    const parts = splitPartial(original, 1_000_000)
    expect(parts).toHaveLength(1)
    expect(outer(parts[0]!).ct?.params.get('total')).toBe('1')
    expect(joinPartial(parts).equals(original)).toBe(true)
  })

  test('keeps every fragment under the limit when total needs more digits', () => {
    const parts = splitPartial(original, 420)
    expect(parts.length).toBeGreaterThanOrEqual(10)
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(420)
    expect(joinPartial(parts).equals(original)).toBe(true)
  })

  test('counts a bare LF as the CRLF it becomes on the wire', () => {
    const lf = Buffer.from(original.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')
    for (const p of splitPartial(lf, 1000)) expect(p.length + (p.toString('latin1').match(/(?<!\r)\n/g)?.length ?? 0)).toBeLessThanOrEqual(1000)
    expect(joinPartial(splitPartial(lf, 1000)).equals(lf)).toBe(true)
  })

  test('refuses 8-bit content: message/partial must be 7bit', () => {
    expectMimeError(() => splitPartial(Buffer.from('Subject: x\r\n\r\nGröße\r\n'), 1000), /7bit/)
  })

  test('refuses a line that cannot fit in any fragment', () => {
    expectMimeError(() => splitPartial(Buffer.from(`Subject: x\r\n\r\n${'a'.repeat(900)}\r\n`), 700), /does not fit/)
  })

  test('refuses a limit smaller than the fragment header', () => {
    expectMimeError(() => splitPartial(original, 100), /no room/)
  })
})

describe('joinPartial refuses fragments that do not make one message', () => {
  const parts = splitPartial(original, 1500)
  const other = splitPartial(Buffer.from(original.toString().replace('report-1@', 'report-2@')), 1500)

  test('a missing fragment', () => {
    expectMimeError(() => joinPartial(parts.slice(1)), /fragment 1 of \d+ is missing/)
  })
  test('a duplicate fragment', () => {
    expectMimeError(() => joinPartial([...parts, parts[0]!]), /appears twice/)
  })
  test('a fragment of another message', () => {
    expectMimeError(() => joinPartial([parts[0]!, other[1]!]), /belongs to id/)
  })
  test('a message that is not message/partial', () => {
    expectMimeError(() => joinPartial([original]), /not message\/partial/)
  })
  test('no fragments', () => {
    expectMimeError(() => joinPartial([]), /no fragments/)
  })
})
