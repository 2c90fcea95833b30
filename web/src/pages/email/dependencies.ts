/**
 * How the E-Mail fields depend on each other (DESIGN.md §2), as pure functions of the form values:
 * which inputs are disabled or locked, why, and what changing the encryption suggests.
 */
import { getPath, setPath } from '../../schema.js'

export interface DependencyState {
  readonly disabled: boolean
  readonly note?: string
}

export type Values = Record<string, unknown>

const AUTH_FIELDS = ['username', 'password', 'authMethod', 'allowInsecureAuth']

/** The port each encryption usually runs on (RFC 8314 §3.3: 465 implicit TLS; RFC 6409: 587 submission). */
export const SUGGESTED_PORT = { SSL: 465, TLS: 587, NONE: 25 } as const
const WELL_KNOWN_PORTS = new Set<unknown>([25, 465, 587, 2525])

export function dependencyOf(path: string, values: Values): DependencyState {
  const authOn = values.authEnabled === true
  const method = getPath(values, 'authMethod')
  const encryption = values.encryption
  if (AUTH_FIELDS.includes(path) && !authOn)
    return { disabled: true, note: 'Turn on Enable Auth to use this.' }
  if (path.startsWith('oauth2.')) {
    if (!authOn) return { disabled: true, note: 'Turn on Enable Auth to use this.' }
    if (method !== 'XOAUTH2') return { disabled: true, note: 'Used only with the XOAUTH2 auth method.' }
  }
  if (path === 'password' && method === 'XOAUTH2') {
    return { disabled: true, note: 'XOAUTH2 signs in with an OAuth2 access token instead of a password.' }
  }
  if (path === 'startTls') {
    if (encryption === 'TLS')
      return { disabled: true, note: 'Locked on: TLS makes STARTTLS mandatory. For port 465 choose SSL.' }
    if (encryption === 'SSL')
      return { disabled: true, note: 'Not used with SSL: the connection is encrypted from the first byte.' }
    return { disabled: false, note: 'With NONE, upgrades to TLS when the server offers STARTTLS.' }
  }
  if (
    path === 'ehlo' &&
    values.ehlo === false &&
    (authOn || encryption === 'TLS' || values.startTls === true)
  ) {
    return {
      disabled: false,
      note: 'HELO only: the server cannot announce STARTTLS, AUTH or DSN, so they cannot work.',
    }
  }
  if (path === 'supportAddress' && values.technicalSupport === true) {
    return {
      disabled: false,
      note: 'Required while Technical Support is on: critical alerts are copied here.',
    }
  }
  return { disabled: false }
}

export interface EncryptionChange {
  readonly values: Values
  /** Shown under the port: what changed, or what we suggest. */
  readonly portNote: string | undefined
  readonly suggestedPort: number | undefined
}

/** Choosing SSL suggests 465 and TLS 587; a standard port is switched, a custom one is only suggested. */
export function changeEncryption(values: Values, encryption: string): EncryptionChange {
  let next = setPath(values, 'encryption', encryption)
  if (encryption === 'TLS') next = setPath(next, 'startTls', true)
  const suggested =
    encryption in SUGGESTED_PORT ? SUGGESTED_PORT[encryption as keyof typeof SUGGESTED_PORT] : undefined
  if (suggested === undefined || encryption === 'NONE' || values.port === suggested) {
    return { values: next, portNote: undefined, suggestedPort: undefined }
  }
  if (WELL_KNOWN_PORTS.has(values.port)) {
    return {
      values: setPath(next, 'port', suggested),
      portNote: `Port changed to ${suggested}, the usual port for ${encryption}.`,
      suggestedPort: undefined,
    }
  }
  return {
    values: next,
    portNote: `${encryption} usually runs on port ${suggested}.`,
    suggestedPort: suggested,
  }
}
