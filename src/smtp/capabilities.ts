import type { Reply } from './reply.js'

/** What the server advertised in its EHLO reply (RFC 5321 §4.1.1.1). camelCase keys, STYLE.md §2.3. */
export interface Capabilities {
  /** RFC 2920 */
  readonly pipelining: boolean
  /** RFC 3030 BDAT */
  readonly chunking: boolean
  /** RFC 6152 */
  readonly eightBitMime: boolean
  /** RFC 6531 */
  readonly smtpUtf8: boolean
  /** RFC 3461 */
  readonly dsn: boolean
  /** RFC 1870 limit in octets; absent when not advertised or advertised as 0 (no limit). */
  readonly size?: number
  /** SASL mechanisms, upper case (RFC 4954). */
  readonly auth: readonly string[]
  /** RFC 3207 */
  readonly startTls: boolean
  /** RFC 2034 */
  readonly enhancedStatusCodes: boolean
}

/** A HELO session (or before EHLO): no extensions at all. */
export const NO_CAPABILITIES: Capabilities = Object.freeze({
  pipelining: false,
  chunking: false,
  eightBitMime: false,
  smtpUtf8: false,
  dsn: false,
  auth: Object.freeze([]),
  startTls: false,
  enhancedStatusCodes: false,
})

/**
 * Reads the keywords of a 250 EHLO reply. The first line is the server's name, each further line
 * is `KEYWORD [params]`. Keywords are case-insensitive (RFC 5321 §2.4). `AUTH=LOGIN PLAIN` is the
 * pre-RFC 4954 form some old servers still send; it is merged with `AUTH`.
 */
export function parseEhlo(reply: Reply): Capabilities {
  const lines = reply.text.split('\n')
  let pipelining = false
  let chunking = false
  let eightBitMime = false
  let smtpUtf8 = false
  let dsn = false
  let size: number | undefined
  const auth = new Set<string>()
  let startTls = false
  let enhancedStatusCodes = false
  for (let i = 1; i < lines.length; i++) {
    const words = (lines[i] ?? '').trim().toUpperCase().split(/[\s=]+/)
    const keyword = words[0] ?? ''
    const params = words.slice(1).filter((w) => w !== '')
    if (keyword === 'PIPELINING') pipelining = true
    else if (keyword === 'CHUNKING') chunking = true
    else if (keyword === '8BITMIME') eightBitMime = true
    else if (keyword === 'SMTPUTF8') smtpUtf8 = true
    else if (keyword === 'DSN') dsn = true
    else if (keyword === 'STARTTLS') startTls = true
    else if (keyword === 'ENHANCEDSTATUSCODES') enhancedStatusCodes = true
    else if (keyword === 'AUTH') for (const p of params) auth.add(p)
    else if (keyword === 'SIZE') {
      const n = Number(params[0])
      if (Number.isSafeInteger(n) && n > 0) size = n
    }
  }
  const caps = { pipelining, chunking, eightBitMime, smtpUtf8, dsn, auth: [...auth], startTls, enhancedStatusCodes }
  return size === undefined ? caps : { ...caps, size }
}
