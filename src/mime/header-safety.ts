import { MimeError } from './errors.js'

/**
 * RFC 5322 §2.2: a field name is printable US-ASCII except ':' (ftext, 33–126 minus 58).
 * Field bodies may not carry CR or LF outside folding, and NUL never (RFC 5322 §3.5,
 * RFC 5321 §4.5.2). We fold nothing ourselves, so any CR/LF in a value is an injection.
 */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/
const FORBIDDEN = /[\r\n\0]/

/** Throws ERR_MIME_HEADER naming `field` when `value` could break out of its header line. */
export function assertSafeValue(field: string, value: string): void {
  if (FORBIDDEN.test(value)) {
    const what = value.includes('\0') ? 'NUL' : 'CR/LF'
    throw new MimeError('ERR_MIME_HEADER', `${field} must not contain ${what} (header injection)`, { field })
  }
}

export function assertSafeFieldName(field: string, name: string): void {
  // A field name cannot be folded; 76 keeps "name: " plus a first word well inside a line.
  if (!FIELD_NAME.test(name) || name.length > 76) {
    throw new MimeError('ERR_MIME_HEADER', `${field}: "${name.replace(/[^\x20-\x7e]/g, '?')}" is not a valid header name (RFC 5322 §2.2)`, { field })
  }
}

/**
 * A mailbox as the envelope and the To/From headers see it: one addr-spec, no display name,
 * no list. Anything else is refused so one string cannot become several recipients.
 */
export function assertAddress(field: string, address: string): void {
  assertSafeValue(field, address)
  const at = address.lastIndexOf('@')
  if (address.trim() !== address || at < 1 || at === address.length - 1 || /[\s,;<>()"]/.test(address)) {
    throw new MimeError('ERR_MIME_HEADER', `${field} is not a plain e-mail address: "${address}"`, { field })
  }
}
