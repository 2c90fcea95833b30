import type { MessageInput } from './types.js'

const CR = 0x0d
const LF = 0x0a
const DOT = 0x2e

/** The message as it goes on the wire, minus the terminating `.CRLF` (DATA) or the BDAT headers. */
export interface PreparedBody {
  /** CRLF-normalised, dot-stuffed when prepared for DATA; always ends with CRLF (or is empty). */
  readonly bytes: Buffer
  /** Octets of the CRLF-normalised message without dot-stuffing: what SIZE= declares (RFC 1870 §3). */
  readonly size: number
  /** Any octet ≥ 0x80: needs BODY=8BITMIME (RFC 6152) or a 7-bit re-encoding upstream. */
  readonly eightBit: boolean
}

/** RFC 5321 §4.1.1.4: the end of mail data indicator. */
export const END_OF_DATA = Buffer.from('.\r\n', 'latin1')

/**
 * Normalises line endings to CRLF (a bare LF or CR becomes CRLF, RFC 5321 §2.3.8), terminates the
 * last line, and with `dotStuff` doubles a leading '.' on every line (RFC 5321 §4.5.2). BDAT
 * (RFC 3030) sends octets as counted, so it prepares without stuffing. When nothing needs changing
 * the input is returned without a copy: the common case for composed mail.
 */
export function prepareBody(input: MessageInput, dotStuff: boolean): PreparedBody {
  const src = toBuffer(input)
  const n = src.length
  let extra = 0
  let dots = 0
  let eightBit = false
  let atLineStart = true
  for (let i = 0; i < n; i++) {
    const b = src[i] as number
    if (b === CR) {
      if (src[i + 1] === LF) i++
      else extra++
      atLineStart = true
    } else if (b === LF) {
      extra++
      atLineStart = true
    } else {
      if (b >= 0x80) eightBit = true
      else if (b === DOT && atLineStart && dotStuff) dots++
      atLineStart = false
    }
  }
  const unterminated = !atLineStart
  const size = n + extra + (unterminated ? 2 : 0)
  if (extra === 0 && dots === 0 && !unterminated) return { bytes: src, size, eightBit }
  const out = Buffer.allocUnsafe(size + dots)
  let o = 0
  atLineStart = true
  for (let i = 0; i < n; i++) {
    const b = src[i] as number
    if (b === CR || b === LF) {
      if (b === CR && src[i + 1] === LF) i++
      out[o++] = CR
      out[o++] = LF
      atLineStart = true
      continue
    }
    if (b === DOT && atLineStart && dotStuff) out[o++] = DOT
    out[o++] = b
    atLineStart = false
  }
  if (unterminated) {
    out[o] = CR
    out[o + 1] = LF
  }
  return { bytes: out, size, eightBit }
}

/** Undoes prepareBody for DATA (what a server stores): for tests and the fake server. */
export function unstuff(wire: Buffer): Buffer {
  const text = wire.toString('latin1')
  return Buffer.from(text.replace(/(^|\r\n)\.\./g, '$1.'), 'latin1')
}

function toBuffer(input: MessageInput): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8')
  if (Buffer.isBuffer(input)) return input
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength)
}

/**
 * RFC 3030 §2: BDAT chunk headers for a message of `size` octets. One `BDAT n LAST` up to
 * `chunkBytes`; larger messages go as several chunks so no single write holds everything twice.
 */
export function bdatChunks(size: number, chunkBytes: number): { header: string; start: number; end: number }[] {
  if (size <= chunkBytes) return [{ header: `BDAT ${size} LAST`, start: 0, end: size }]
  const chunks: { header: string; start: number; end: number }[] = []
  for (let start = 0; start < size; start += chunkBytes) {
    const end = Math.min(size, start + chunkBytes)
    chunks.push({ header: end === size ? `BDAT ${end - start} LAST` : `BDAT ${end - start}`, start, end })
  }
  return chunks
}
