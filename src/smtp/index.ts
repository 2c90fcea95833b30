/**
 * The SMTP client's public surface (TEAM.md "Contracts"). Import from here only.
 *
 * @example
 * const client = await SmtpClient.connect(opts)
 * const result = await client.send({ from: 'a@example.com', to: ['b@example.com'] }, raw)
 * await client.quit()
 */
export { SmtpClient } from './client.js'
export { SmtpPool } from './pool.js'
export { SmtpError, classify, isSmtpError, SMTP_ERROR_CODES, SMTP_ERRORS } from './errors.js'
export type { SmtpErrorCode, Retry, RejectedRecipient, SmtpErrorOptions } from './errors.js'
export { sendWithReport, checkServer, summarizeError } from './report.js'
export type { SendReport, CheckReport } from './report.js'
export { formatReply } from './reply.js'
export type { Reply } from './reply.js'
export { NO_CAPABILITIES } from './capabilities.js'
export type { Capabilities } from './capabilities.js'
export { STEP_NAMES } from './types.js'
export type {
  MessageInput,
  SendResult,
  Step,
  StepName,
  TranscriptEntry,
  TlsInfo,
  SessionContext,
  SendOptions,
  ErrorSummary,
} from './types.js'
export * from './options.js'
/** diagnostics_channel names: 'smtp:connect', 'smtp:command', 'smtp:reply', 'smtp:error'. */
export type { ConnectMessage, CommandMessage, ReplyMessage, ErrorMessage } from './diagnostics.js'
