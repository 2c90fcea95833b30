import fc from 'fast-check'

/** Bodies made of lines that love dots, plus bare CR and LF. */
export const dottyBody = fc
  .array(
    fc.tuple(
      fc.string({ unit: fc.constantFrom('.', '.', 'a', ' ', '\u00e9', 'Z'), maxLength: 6 }),
      fc.constantFrom('\r\n', '\r\n', '\n', '\r', ''),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.map(([l, e]) => l + e).join(''))

/** CRLF normalisation the client promises (bare CR or LF become CRLF, last line terminated). */
export function normalised(body: string): string {
  const n = body.replace(/\r\n|\r|\n/g, '\r\n')
  return n === '' || n.endsWith('\r\n') ? n : n + '\r\n'
}
