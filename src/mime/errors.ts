/**
 * Errors of the mime module. Callers match on `code` (STYLE.md §2.5), never on the message.
 */
export const MIME_ERROR_CODES = [
  /** A header value or address holds CR, LF or NUL, or a header name is not RFC 5322 ftext (or over 76 characters). */
  'ERR_MIME_HEADER',
  /** A message/partial split or join is impossible or the fragments do not fit together. */
  'ERR_MIME_PARTIAL',
] as const
export type MimeErrorCode = (typeof MIME_ERROR_CODES)[number]

export class MimeError extends Error {
  override readonly name = 'MimeError'
  readonly code: MimeErrorCode
  /** The input field at fault, JSON-pointer-ish: 'subject', 'to[1]', 'headers.X-Tag'. */
  readonly field: string | undefined

  constructor(code: MimeErrorCode, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    this.code = code
    this.field = opts.field
  }
}
