import { SmtpError } from './errors.js'
import type { DsnNotify, DsnRet } from './options.js'

/** MAIL FROM parameters; each is sent only when the caller decided the server allows it. */
export interface MailParams {
  /** RFC 1870 SIZE= */
  readonly size?: number | undefined
  /** RFC 6152 BODY=8BITMIME */
  readonly eightBitMime?: boolean | undefined
  /** RFC 6531 SMTPUTF8 */
  readonly smtpUtf8?: boolean | undefined
  /** RFC 3461 §4.3 RET= (NONE ⇒ absent) */
  readonly ret?: DsnRet | undefined
  /** RFC 3461 §4.4 ENVID=, sent as xtext */
  readonly envelopeId?: string | undefined
}

/** RCPT TO parameters (RFC 3461 §4.1, §4.2). */
export interface RcptParams {
  /** [] ⇒ absent */
  readonly notify?: readonly DsnNotify[] | undefined
  /** ORCPT=rfc822;<xtext> */
  readonly orcpt?: string | undefined
}

/** `MAIL FROM:<a@b> SIZE=1234 BODY=8BITMIME` (no CRLF). `from` may be '' for the null reverse-path. */
export function formatMailFrom(from: string, p: MailParams = {}): string {
  let line = `MAIL FROM:<${checkAddress(from, 'from', true)}>`
  if (p.size !== undefined) line += ` SIZE=${Math.max(0, Math.floor(p.size))}`
  if (p.eightBitMime === true) line += ' BODY=8BITMIME'
  if (p.smtpUtf8 === true) line += ' SMTPUTF8'
  if (p.ret !== undefined && p.ret !== 'NONE') line += ` RET=${p.ret}`
  if (p.envelopeId !== undefined && p.envelopeId !== '') line += ` ENVID=${xtextEncode(p.envelopeId)}`
  return line
}

/** `RCPT TO:<b@c> NOTIFY=SUCCESS,FAILURE` (no CRLF). */
export function formatRcptTo(to: string, p: RcptParams = {}): string {
  let line = `RCPT TO:<${checkAddress(to, 'to', false)}>`
  const notify = p.notify ?? []
  if (notify.length > 0) {
    // RFC 3461 §4.1: NEVER stands alone.
    if (notify.includes('NEVER') && notify.length > 1) {
      throw new SmtpError('ERR_SMTP_CONFIG', 'DSN NOTIFY=NEVER cannot be combined with other values')
    }
    line += ` NOTIFY=${notify.join(',')}`
  }
  if (p.orcpt !== undefined) line += ` ORCPT=rfc822;${xtextEncode(p.orcpt)}`
  return line
}

/**
 * Refuses anything that would break out of the command line (CR, LF, NUL: RFC 5321 §2.3.8
 * command injection) or out of the angle brackets. Returns the address unchanged.
 */
export function checkAddress(address: string, field: string, allowEmpty: boolean): string {
  if (address === '' && allowEmpty) return address
  if (address === '' || /[\r\n\0<>\s]/.test(address)) {
    throw new SmtpError('ERR_SMTP_ENVELOPE', `invalid ${field} address ${JSON.stringify(address)}`)
  }
  return address
}

/** True when every char is US-ASCII; a non-ASCII address needs SMTPUTF8 (RFC 6531 §3.4). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

/**
 * RFC 3461 §4: xtext = printable ASCII 0x21-0x7E except '+' and '='; anything else as "+XX".
 * Non-ASCII input is encoded as its UTF-8 bytes.
 */
export function xtextEncode(s: string): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    out += byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d
      ? String.fromCharCode(byte)
      : '+' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

export function xtextDecode(s: string): string {
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '+' && /^[0-9A-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      bytes.push(s.charCodeAt(i))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
