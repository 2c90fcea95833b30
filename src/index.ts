/**
 * alertmail's library surface (DESIGN.md §3): our SMTP client and the one mapping from the
 * E-Mail settings to its options.
 *
 * @example
 * import { SmtpPool, smtpOptionsFromSettings, parseEmailSettings } from 'alertmail'
 * const pool = new SmtpPool(smtpOptionsFromSettings(parseEmailSettings(json), { password }))
 * await pool.send({ from: 'alerts@example.com', to: ['ops@example.com'] }, rawMessage)
 */
export * from './smtp/index.js'
export { smtpOptionsFromSettings, parseEmailSettings, validateEmailSettings } from './settings/index.js'
export type { EmailSettings } from './settings/index.js'
