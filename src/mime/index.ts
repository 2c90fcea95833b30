/**
 * mime: RFC 5322 messages through nodemailer's MailComposer, RFC 2046 message/partial
 * splitting and joining, and the 7-bit / 8-bit transfer-encoding choice. No I/O.
 */
export { composeMessage, hasEightBit } from './compose.js'
export type { ComposeInput, ComposedMessage } from './compose.js'
export { splitPartial, joinPartial } from './partial.js'
export { MimeError, MIME_ERROR_CODES } from './errors.js'
export type { MimeErrorCode } from './errors.js'
