import { randomUUID } from 'node:crypto'
import MailComposer from 'nodemailer/lib/mail-composer'
import type { MailComposerAlternative } from 'nodemailer/lib/mail-composer'
import { encodeWord, foldLines } from 'nodemailer/lib/mime-funcs'
import { MimeError } from './errors.js'
import { assertAddress, assertSafeFieldName, assertSafeValue } from './header-safety.js'

export interface ComposeInput {
  /** Envelope and From address (a plain addr-spec). */
  readonly from: string
  /** Display name for From; non-ASCII is RFC 2047 encoded. */
  readonly fromName?: string | undefined
  readonly to: string | readonly string[]
  readonly subject: string
  readonly text: string
  /** With html the body is multipart/alternative (text first, RFC 2046 §5.1.4: preferred last). */
  readonly html?: string | undefined
  /** `<id@host>` or `id@host`; generated as `<uuid@from-domain>` when absent. */
  readonly messageId?: string | undefined
  /** Extra header fields; the ones the composer owns (From, To, Content-*, …) are refused. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly date?: Date | undefined
  /** Text parts may go out `8bit` (the server advertised 8BITMIME and the setting is on). */
  readonly allow8bit: boolean
}

export interface ComposedMessage {
  /** The whole RFC 5322 message, CRLF line ends. */
  readonly raw: Buffer
  /** With angle brackets, as in the Message-ID header. */
  readonly messageId: string
  /** The raw bytes hold 8-bit data, so they need BODY=8BITMIME (RFC 6152). */
  readonly eightBit: boolean
}

/** Header fields the composer writes itself; a custom copy would clash or break the MIME tree. */
const OWNED_HEADERS = new Set(['from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'sender', 'bcc'])

/** RFC 5322 §2.1.1 / RFC 5321 §4.5.3.1.6: at most 998 octets per line before CRLF. */
const MAX_LINE_OCTETS = 998

/**
 * Builds a message with nodemailer's MailComposer. Non-ASCII header text becomes RFC 2047
 * encoded-words; bodies are 7-bit safe (quoted-printable or base64) unless `allow8bit`, when
 * non-ASCII text parts go out as `8bit` (RFC 6152) if their lines allow it.
 *
 * @example
 * const { raw, messageId } = await composeMessage({ from: 'a@example.com', to: ['b@example.com'],
 *   subject: 'Attack mitigated', text: 'SYN flood on 203.0.113.7 stopped', allow8bit: false })
 */
export async function composeMessage(input: ComposeInput): Promise<ComposedMessage> {
  const to = typeof input.to === 'string' ? [input.to] : [...input.to]
  assertAddress('from', input.from)
  if (to.length === 0) throw new MimeError('ERR_MIME_HEADER', 'to must name at least one recipient', { field: 'to' })
  to.forEach((address, i) => { assertAddress(`to[${i}]`, address) })
  if (input.fromName !== undefined) assertSafeValue('fromName', input.fromName)
  assertSafeValue('subject', input.subject)
  const messageId = normaliseMessageId(input.messageId, input.from)
  const headers = checkHeaders(input.headers ?? {})
  // MailComposer would put an encoded name inside a quoted-string, where RFC 2047 §5 (3) forbids
  // encoded-words; such a name is written as a bare phrase of encoded-words after the build.
  const phrase = input.fromName ? literalPhrase(input.fromName) : undefined

  const base = {
    from: input.fromName && phrase === undefined ? { name: input.fromName, address: input.from } : input.from,
    to,
    subject: literalText(input.subject),
    messageId,
    date: input.date ?? new Date(),
    headers,
    newline: 'win',
    disableFileAccess: true,
    disableUrlAccess: true,
  }
  let raw: Buffer
  if (input.html === undefined && can8bit(input.text, input.allow8bit)) {
    raw = await singlePart8bit(new MailComposer({ ...base, text: '' }), input.text)
  } else {
    const text = textPart('text/plain', input.text, input.allow8bit)
    const html = input.html === undefined ? {} : { html: textPart('text/html', input.html, input.allow8bit) }
    raw = await new MailComposer({ ...base, text, ...html }).compile().build()
  }
  if (phrase !== undefined) raw = withFromPhrase(raw, phrase)
  return { raw, messageId, eightBit: hasEightBit(raw) }
}

/**
 * A text-only 8-bit message: a pregenerated (`raw`) root node would lose the root headers, so
 * MailComposer writes the header for an empty text/plain body and the 8-bit body follows it.
 */
async function singlePart8bit(composer: MailComposer, text: string): Promise<Buffer> {
  const built = await composer.compile().build()
  const end = built.indexOf('\r\n\r\n')
  const head = (end < 0 ? built : built.subarray(0, end + 2)).toString('latin1')
    .replace(/^Content-Transfer-Encoding:.*\r\n/im, '')
    .replace(/^Content-Type: text\/plain\r\n/im, 'Content-Type: text/plain; charset=utf-8\r\n')
  return Buffer.concat([
    Buffer.from(`${head}Content-Transfer-Encoding: 8bit\r\n\r\n`, 'latin1'),
    Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8'),
  ])
}

export function hasEightBit(raw: Uint8Array): boolean {
  for (const byte of raw) if (byte >= 0x80) return true
  return false
}

/**
 * MimeNode only knows 7bit, quoted-printable and base64 for text, so an `8bit` part is handed
 * to MailComposer pregenerated through its documented `raw` option.
 */
function textPart(contentType: string, content: string, allow8bit: boolean): string | MailComposerAlternative {
  if (!can8bit(content, allow8bit)) return content
  const head = `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`
  return { contentType, raw: Buffer.from(head + content.replace(/\r?\n/g, '\r\n'), 'utf8') }
}

/**
 * `8bit` only pays off for non-ASCII text, and is only legal when every line fits in 998
 * octets and there is no NUL or bare CR (RFC 2045 §2.8); otherwise nodemailer picks QP/base64.
 */
function can8bit(content: string, allow8bit: boolean): boolean {
  if (!allow8bit || !/[\u0080-\uffff]/.test(content) || /\0|\r(?!\n)/.test(content)) return false
  return content.split(/\r?\n/).every((line) => Buffer.byteLength(line) <= MAX_LINE_OCTETS)
}

function normaliseMessageId(given: string | undefined, from: string): string {
  if (given === undefined) return `<${randomUUID()}@${from.slice(from.lastIndexOf('@') + 1)}>`
  assertSafeValue('messageId', given)
  const bare = given.startsWith('<') && given.endsWith('>') ? given.slice(1, -1) : given
  // RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">", no whitespace or brackets inside.
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(bare) || /[^\x21-\x7e]/.test(bare)) {
    throw new MimeError('ERR_MIME_HEADER', `messageId must look like <id@host>, got "${given}"`, { field: 'messageId' })
  }
  return `<${bare}>`
}

function checkHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    const field = `headers.${name}`
    assertSafeFieldName(field, name)
    const lower = name.toLowerCase()
    if (OWNED_HEADERS.has(lower) || lower.startsWith('content-')) {
      throw new MimeError('ERR_MIME_HEADER', `${field} is set by the composer; use its own option instead`, { field })
    }
    if (typeof value !== 'string') throw new MimeError('ERR_MIME_HEADER', `${field} must be a string`, { field })
    assertSafeValue(field, value)
    out[name] = literalText(value)
  }
  return out
}

/** Text that a reader would decode as an RFC 2047 encoded-word (`=?charset?B|Q?…?=`). */
const ENCODED_WORD = /=\?[^?\s]+\?[bq]\?[^?\s]*\?=/i
/** A run MailComposer cannot fold (it folds at white space only), so the line would pass 998 octets. */
const UNFOLDABLE = /\S{200,}/

/**
 * RFC 2047 §5 and §7: text that merely looks like an encoded-word must not be decoded by the
 * reader, so it is itself encoded; MailComposer passes valid-looking encoded-words through
 * verbatim (it assumes the caller pre-encoded them). RFC 5322 §2.1.1: a word too long to fold
 * is split into several encoded-words, which readers join without the separating space.
 * Everything else is left to MailComposer.
 */
function literalText(value: string): string {
  return literalPhrase(value) ?? value
}

/** The encoded-words for `value` when MailComposer cannot be trusted with it, else undefined. */
function literalPhrase(value: string): string | undefined {
  if (!ENCODED_WORD.test(value) && !UNFOLDABLE.test(value)) return undefined
  return encodeWord(value, 'B', 52)
}

/**
 * Puts `phrase` (encoded-words, RFC 2047 §5 (3)) in front of the bare address MailComposer wrote
 * in From, folded at the spaces between the words (RFC 5322 §2.2.3).
 */
function withFromPhrase(raw: Buffer, phrase: string): Buffer {
  const end = raw.indexOf('\r\n\r\n')
  const head = raw.subarray(0, end < 0 ? raw.length : end + 2).toString('latin1')
  const from = /^From: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n/m.exec(head)
  if (from === null) throw new MimeError('ERR_MIME_HEADER', 'internal: the composed message has no From field', { field: 'fromName' })
  const line = foldLines(`From: ${phrase} <${(from[1] ?? '').replace(/\r\n/g, '')}>`, 76).replace(/\r?\n/g, '\r\n')
  const fixed = head.slice(0, from.index) + line + '\r\n' + head.slice(from.index + from[0].length)
  return Buffer.concat([Buffer.from(fixed, 'latin1'), raw.subarray(head.length)])
}
