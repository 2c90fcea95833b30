import { fieldIssue, type FieldIssue } from './issues.js'
import type { EmailSettings } from './schema.js'
import {
  checkConsoleUrl,
  checkHeloName,
  checkHost,
  checkMailbox,
  checkPemCertificates,
  checkTokenUrl,
  isMailbox,
} from './syntax.js'

/** The rules below in words, for docs/config.md; keep each line beside its check. */
export const RULES_DOC = {
  errors: [
    '`host` is required when `enabled` is on; it must be a host name or an IP address (IPv6 without brackets).',
    'A From address is required when `enabled` is on: `fromAddress`, or else `username` if it is an e-mail address.',
    '`fromAddress` and `supportAddress` must be e-mail addresses (local-part@domain, no display name; UTF-8 allowed).',
    '`username` is required when `authEnabled` is on.',
    '`authMethod` `XOAUTH2` (with `authEnabled`) requires `oauth2.tokenUrl` and `oauth2.clientId`.',
    '`oauth2.tokenUrl` must be https:// (http:// only to a loopback address), without credentials, fragment or `<placeholder>`.',
    '`encryption` `TLS` requires `startTls` on (choose `SSL` for implicit TLS on port 465).',
    '`dsnNotify` is `[]`, `["NEVER"]`, or a non-empty subset of `SUCCESS`, `FAILURE`, `DELAY` without repeats.',
    '`technicalSupport` requires `supportAddress`.',
    '`heloName` must be a domain name or an address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`).',
    '`tlsCa` must be one or more PEM certificates that parse.',
    '`consoleUrl` must be an http:// or https:// URL.',
    '`retry.maxDelayMs` must not be less than `retry.minDelayMs`.',
    'CR, LF and NUL are refused in every value that reaches an SMTP command or a header line (host, addresses, names, URLs, template subject).',
  ],
  warnings: [
    '`ehlo` off together with `authEnabled`, STARTTLS (`TLS`, or `NONE` with `startTls`), DSN or `eightBitMime`: HELO announces no extensions.',
    '`SSL` on port 587, `TLS` or `NONE` on port 465: probably the wrong port for the encryption.',
    '`allowInsecureAuth` on: the password may cross the network unencrypted.',
    '`tlsVerify` off: the server certificate is not checked.',
  ],
} as const

/**
 * Rules JSON Schema cannot say: value syntax (hosts, addresses, URLs, PEM) and combinations of
 * fields. Runs after the schema pass on the defaults-filled object; a field the schema already
 * refused is skipped (`usable`), so every problem is reported once, in one round.
 */
export function checkRules(
  s: EmailSettings,
  usable: (field: string) => boolean,
): { errors: FieldIssue[]; warnings: FieldIssue[] } {
  const errors: FieldIssue[] = []
  const warnings: FieldIssue[] = []
  const error = (field: string, text: string): void => {
    if (!errors.some((e) => e.field === field)) errors.push(fieldIssue(field, text))
  }
  const warn = (field: string, text: string): void => {
    warnings.push(fieldIssue(field, text))
  }
  const all = (...fields: string[]): boolean => fields.every(usable)

  // Value syntax of the non-empty optional strings.
  // Read lazily: a value is only touched once the schema pass found its field (and parents) sound.
  const syntax: [string, () => string, (v: string) => string | undefined][] = [
    ['host', () => s.host, checkHost],
    ['fromAddress', () => s.fromAddress, checkMailbox],
    ['supportAddress', () => s.supportAddress, checkMailbox],
    ['heloName', () => s.heloName, checkHeloName],
    ['tlsCa', () => s.tlsCa, checkPemCertificates],
    ['oauth2.tokenUrl', () => s.oauth2.tokenUrl, checkTokenUrl],
    ['consoleUrl', () => s.consoleUrl, checkConsoleUrl],
  ]
  for (const [field, read, check] of syntax) {
    if (!usable(field)) continue
    const value = read()
    if (value === '') continue
    const problem = check(value)
    if (problem !== undefined) error(field, problem)
  }

  // Required when notifications are on: where to send, and as whom (DESIGN.md §2).
  if (all('enabled', 'host') && s.enabled && s.host === '') error('host', 'is required when Enable Email Notifications is on')
  if (all('enabled', 'fromAddress', 'username') && s.enabled && s.fromAddress === '') {
    if (s.username === '')
      error('fromAddress', 'a From address is required when Enable Email Notifications is on: set fromAddress, or an e-mail address as username')
    else if (!isMailbox(s.username))
      error('fromAddress', `is required because username "${s.username}" is not an e-mail address and cannot be the From address`)
  }
  if (all('authEnabled', 'username') && s.authEnabled && s.username === '') error('username', 'is required when Enable Auth is on')
  if (all('authEnabled', 'authMethod', 'oauth2') && s.authEnabled && s.authMethod === 'XOAUTH2') {
    if (s.oauth2.tokenUrl === '') error('oauth2.tokenUrl', 'is required when authMethod is XOAUTH2')
    if (s.oauth2.clientId === '') error('oauth2.clientId', 'is required when authMethod is XOAUTH2')
  }

  // RFC 3207: TLS means "STARTTLS required", so it cannot be combined with Start TLS off.
  if (all('encryption', 'startTls') && s.encryption === 'TLS' && !s.startTls)
    error('startTls', 'must be on when encryption is "TLS" (encryption through STARTTLS); for implicit TLS on port 465 choose encryption "SSL"')

  // RFC 3461 §4.1: NEVER must appear alone.
  if (usable('dsnNotify') && s.dsnNotify.includes('NEVER') && s.dsnNotify.length > 1)
    error('dsnNotify', 'NEVER cannot be combined with SUCCESS, FAILURE or DELAY: use ["NEVER"] alone or a subset of the others')

  if (all('technicalSupport', 'supportAddress') && s.technicalSupport && s.supportAddress === '')
    error('supportAddress', 'is required when Technical Support is on')

  if (usable('retry') && s.retry.minDelayMs > s.retry.maxDelayMs)
    error('retry.maxDelayMs', `must not be less than retry.minDelayMs (${String(s.retry.minDelayMs)} ms)`)

  // Warnings: combinations that are allowed but cannot work as the operator probably hopes.
  if (usable('ehlo') && !s.ehlo) {
    const needs: string[] = []
    if (usable('authEnabled') && s.authEnabled) needs.push('AUTH (Enable Auth)')
    if (all('encryption', 'startTls') && s.encryption !== 'SSL' && (s.encryption === 'TLS' || s.startTls)) needs.push('STARTTLS')
    if ((usable('dsnRet') && s.dsnRet !== 'NONE') || (usable('dsnNotify') && s.dsnNotify.length > 0)) needs.push('DSN')
    if (usable('eightBitMime') && s.eightBitMime) needs.push('8BITMIME')
    if (needs.length > 0)
      warn('ehlo', `with EHLO off the server announces no extensions, so ${needs.join(', ')} cannot be used` +
        (s.authEnabled || s.encryption === 'TLS' ? '; sending will fail' : ''))
  }
  if (all('encryption', 'port')) {
    if (s.encryption === 'SSL' && s.port === 587)
      warn('port', 'port 587 normally expects STARTTLS: choose encryption "TLS", or port 465 for "SSL"')
    if (s.encryption === 'TLS' && s.port === 465)
      warn('port', 'port 465 normally expects implicit TLS: choose encryption "SSL" for it')
    if (s.encryption === 'NONE' && s.port === 465)
      warn('port', 'port 465 speaks TLS from the first byte: choose encryption "SSL" for it')
  }
  if (usable('allowInsecureAuth') && s.allowInsecureAuth)
    warn('allowInsecureAuth', 'is on: the password may cross the network unencrypted')
  if (usable('tlsVerify') && !s.tlsVerify)
    warn('tlsVerify', 'is off: the server\'s certificate is not checked, so anyone on the path can read the mail and the password')
  return { errors, warnings }
}
