import { randomUUID } from 'node:crypto'
import { hasEightBit } from './compose.js'
import { MimeError } from './errors.js'
import { fieldValue, parseContentType, parseFields, quoteParam, splitMessage } from './header-block.js'
import type { HeaderField } from './header-block.js'

/**
 * RFC 2046 §5.2.2.1 rule (2)/(3): these fields of the original are carried by the enclosed
 * (inner) header of fragment 1; every other field is copied to the outer header, where a
 * reassembling agent takes it from.
 */
const ENCLOSED_ONLY = /^(content-.*|subject|message-id|encrypted|mime-version)$/i

/**
 * Splits a whole RFC 5322 message into RFC 2046 §5.2.2 message/partial fragments, each
 * (outer header included) at most `maxBytes` octets as sent (CRLF line ends).
 *
 * Fragment 1 encloses the original header verbatim followed by the start of the body; the
 * original's fields other than Content-*, Subject, Message-ID, Encrypted and MIME-Version are
 * also copied to every fragment's outer header (§5.2.2.1), so a conforming reader rebuilds
 * the same header set. Splits fall on line boundaries only (§5.2.2.1 rule 1).
 *
 * @example
 * const fragments = splitPartial(raw, 10 * 1024) // each is a message to send on its own
 */
export function splitPartial(raw: Uint8Array, maxBytes: number): Buffer[] {
  const message = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  if (!Number.isInteger(maxBytes) || maxBytes <= 0) {
    throw new MimeError('ERR_MIME_PARTIAL', `maxBytes must be a positive integer, got ${maxBytes}`)
  }
  // RFC 2046 §5.2.2: message/partial must be 7bit, "8bit" and "binary" are explicitly prohibited.
  if (hasEightBit(message)) {
    throw new MimeError('ERR_MIME_PARTIAL', 'an 8-bit message cannot be split into message/partial fragments (RFC 2046 §5.2.2 requires 7bit); compose it without 8bit first')
  }
  const fields = parseFields(splitMessage(message).head)
  const outer = fields.filter((f) => f.name !== '' && !ENCLOSED_ONLY.test(f.name)).map((f) => crlf(f.raw))
  const subject = fields.find((f) => /^subject$/i.test(f.name))
  const id = messageIdOf(fields) ?? `${randomUUID()}@alertmail.invalid`
  const header = (n: number, total: number) => fragmentHeader(outer, subject ? fieldValue(subject) : undefined, id, n, total)

  const lines = splitLines(message)
  // The header grows with the digits of `total`; settle on a count whose header fits.
  let total = 1
  for (;;) {
    const room = maxBytes - header(total, total).length
    if (room < 1) {
      throw new MimeError('ERR_MIME_PARTIAL', `maxBytes ${maxBytes} leaves no room after the ${header(total, total).length}-octet fragment header`)
    }
    const chunks = pack(lines, room)
    if (chunks.length <= total || String(chunks.length).length === String(total).length) {
      total = chunks.length
      return chunks.map((chunk, i) => Buffer.concat([header(i + 1, total), ...chunk]))
    }
    total = chunks.length
  }
}

/**
 * Rebuilds the original message from its message/partial fragments, in any order: the
 * enclosed parts concatenated by `number`. The enclosed header of fragment 1 is returned
 * verbatim, not merged with fragment 1's outer header as §5.2.2.1 describes, so the trace
 * fields a relay adds to each fragment (Received, Return-Path, Delivered-To) stay out and the
 * result is byte-for-byte what `splitPartial` was given.
 */
export function joinPartial(parts: readonly Uint8Array[]): Buffer {
  if (parts.length === 0) throw new MimeError('ERR_MIME_PARTIAL', 'no fragments to join')
  let id: string | undefined
  let total: number | undefined
  const bodies = new Map<number, Buffer>()
  parts.forEach((part, index) => {
    const buf = Buffer.from(part.buffer, part.byteOffset, part.byteLength)
    const { head, body } = splitMessage(buf)
    const field = parseFields(head).find((f) => /^content-type$/i.test(f.name))
    const ct = field ? parseContentType(fieldValue(field)) : undefined
    if (ct?.type !== 'message/partial') {
      throw new MimeError('ERR_MIME_PARTIAL', `fragment ${index} is not message/partial`)
    }
    const fragmentId = ct.params.get('id')
    const number = Number(ct.params.get('number'))
    const fragmentTotal = ct.params.has('total') ? Number(ct.params.get('total')) : undefined
    if (!fragmentId || !Number.isInteger(number) || number < 1) {
      throw new MimeError('ERR_MIME_PARTIAL', `fragment ${index} lacks a valid id or number`)
    }
    if (id !== undefined && id !== fragmentId) {
      throw new MimeError('ERR_MIME_PARTIAL', `fragment ${index} belongs to id "${fragmentId}", not "${id}"`)
    }
    id = fragmentId
    if (fragmentTotal !== undefined) {
      if (!Number.isInteger(fragmentTotal) || fragmentTotal < 1 || (total !== undefined && total !== fragmentTotal)) {
        throw new MimeError('ERR_MIME_PARTIAL', `fragment ${index} has an inconsistent total`)
      }
      total = fragmentTotal
    }
    if (bodies.has(number)) throw new MimeError('ERR_MIME_PARTIAL', `fragment number ${number} appears twice`)
    bodies.set(number, body)
  })
  // RFC 2046 §5.2.2: total is required on the last fragment at least.
  if (total === undefined) throw new MimeError('ERR_MIME_PARTIAL', 'no fragment carries the total')
  const ordered: Buffer[] = []
  for (let n = 1; n <= total; n++) {
    const body = bodies.get(n)
    if (!body) throw new MimeError('ERR_MIME_PARTIAL', `fragment ${n} of ${total} is missing`)
    ordered.push(body)
  }
  if (bodies.size !== total) throw new MimeError('ERR_MIME_PARTIAL', `fragment numbers exceed the total ${total}`)
  return Buffer.concat(ordered)
}

function fragmentHeader(outer: readonly Buffer[], subject: string | undefined, id: string, n: number, total: number): Buffer {
  const bare = id.replace(/^<|>$/g, '')
  const lines = [
    subject ? `Subject: ${subject} (part ${n} of ${total})` : `Subject: Part ${n} of ${total}`,
    `Message-ID: <${n}.${total}.${bare.includes('@') ? bare : `${bare}@alertmail.invalid`}>`,
    'MIME-Version: 1.0',
    `Content-Type: message/partial; id=${quoteParam(bare)}; number=${n}; total=${total}`,
    '',
    '',
  ]
  return Buffer.concat([...outer, Buffer.from(lines.join('\r\n'), 'latin1')])
}

function messageIdOf(fields: readonly HeaderField[]): string | undefined {
  const field = fields.find((f) => /^message-id$/i.test(f.name))
  const value = field ? fieldValue(field).replace(/^<|>$/g, '') : ''
  return value === '' ? undefined : value
}

/** A field as sent: the SMTP client turns bare LF into CRLF, so count it that way. */
function crlf(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1')
}

/** Lines with their own line ends; the last may have none. */
function splitLines(message: Buffer): Buffer[] {
  const lines: Buffer[] = []
  let at = 0
  while (at < message.length) {
    const lf = message.indexOf(0x0a, at)
    const end = lf < 0 ? message.length : lf + 1
    lines.push(message.subarray(at, end))
    at = end
  }
  return lines
}

/** Octets a line costs on the wire: a bare LF becomes CRLF. */
function wireLength(line: Buffer): number {
  const n = line.length
  return n > 0 && line[n - 1] === 0x0a && (n < 2 || line[n - 2] !== 0x0d) ? n + 1 : n
}

function pack(lines: readonly Buffer[], room: number): Buffer[][] {
  const chunks: Buffer[][] = []
  let current: Buffer[] = []
  let size = 0
  for (const line of lines) {
    const len = wireLength(line)
    if (len > room) {
      throw new MimeError('ERR_MIME_PARTIAL', `a ${len}-octet line does not fit in a fragment of ${room} octets after its header; raise the limit`)
    }
    if (size + len > room) {
      chunks.push(current)
      current = []
      size = 0
    }
    current.push(line)
    size += len
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current)
  return chunks
}
