import { X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import { domainToASCII } from 'node:url'

/**
 * Syntax checks of hosts, addresses and URLs that JSON Schema formats cannot express (IDN,
 * address literals, '' meaning "unset"). Pure functions: each returns an error text or undefined.
 */

// A DNS host name (RFC 1123 §2.1): letters, digits, hyphens; labels of 1–63; a trailing dot allowed.
const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i

/** A host name, possibly internationalised (IDNA, converted to its ASCII form to check it). */
export function isHostName(value: string): boolean {
  // RFC 3696 §2: a top-level label is never all-numeric, so '999.1.1.1' is a bad IP, not a name.
  if (/(^|\.)\d+\.?$/.test(value)) return false
  if (HOSTNAME.test(value)) return true
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(value)) return false
  const ascii = domainToASCII(value)
  return ascii !== '' && HOSTNAME.test(ascii)
}

/** Email Server: a host name or an IP address (IPv6 without brackets). */
export function checkHost(value: string): string | undefined {
  if (isIP(value) !== 0 || isHostName(value)) return undefined
  if (/^\[.*\]$/.test(value) && isIP(value.slice(1, -1)) !== 0) return 'write the IPv6 address without brackets'
  return 'must be a host name (smtp.example.com) or an IP address (192.0.2.25, 2001:db8::25)'
}

/** RFC 5321 §4.1.3 address literal: [192.0.2.1] or [IPv6:2001:db8::1]. */
export function isAddressLiteral(value: string): boolean {
  const m = /^\[(IPv6:)?(.+)\]$/i.exec(value)
  if (m === null) return false
  const ip = m[2] ?? ''
  return m[1] === undefined ? isIP(ip) === 4 : isIP(ip) === 6
}

/** HELO name: RFC 5321 §4.1.1.1 wants a domain or an address literal. */
export function checkHeloName(value: string): string | undefined {
  if (isHostName(value) || isAddressLiteral(value)) return undefined
  return 'must be a domain name (appliance.example.com) or an address literal ([192.0.2.1], [IPv6:2001:db8::1])'
}

// RFC 5321 §4.1.2 Dot-string atoms; non-ASCII letters allowed for SMTPUTF8 (RFC 6531 §3.3).
// eslint-disable-next-line no-control-regex
const ATOM = /^[^\s"(),:;<>@[\\\]\x00-\x1f\x7f.]+$/u
// eslint-disable-next-line no-control-regex
const QUOTED = /^"(?:[^"\\\x00-\x1f\x7f]|\\[\x20-\x7e])*"$/u

/** A mailbox (local-part@domain) as used in MAIL FROM and RCPT TO; no display name. */
export function isMailbox(value: string): boolean {
  if (Buffer.byteLength(value) > 254) return false
  const at = value.lastIndexOf('@')
  if (at <= 0 || at === value.length - 1) return false
  const local = value.slice(0, at)
  const domain = value.slice(at + 1)
  if (Buffer.byteLength(local) > 64) return false
  const localOk = QUOTED.test(local) || local.split('.').every((atom) => ATOM.test(atom))
  return localOk && (isHostName(domain) || isAddressLiteral(domain))
}

export function checkMailbox(value: string): string | undefined {
  return isMailbox(value) ? undefined : 'must be an e-mail address such as alerts@example.com (no display name)'
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * The OAuth2 token URL: https, or http to a loopback address only (the client secret travels in
 * the request, RFC 6749 §2.3.1 requires TLS). No credentials in the URL, no fragment (§3.2).
 */
export function checkTokenUrl(value: string): string | undefined {
  if (/[<>]/.test(value)) return 'still contains a <placeholder>: replace it (e.g. your tenant ID)'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'must be an absolute https:// URL'
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    return 'must be an https:// URL (http:// only for a loopback address)'
  if (url.username !== '' || url.password !== '') return 'must not carry credentials; use clientId and clientSecret'
  if (url.hash !== '') return 'must not have a fragment (#…)'
  return undefined
}

/** Console URL: any http(s) URL, since it is only a link in the mail. */
export function checkConsoleUrl(value: string): string | undefined {
  try {
    const url = new URL(value)
    if (url.protocol === 'https:' || url.protocol === 'http:') return undefined
  } catch {
    // fall through
  }
  return 'must be an http:// or https:// URL'
}

/** Trusted CA: one or more PEM certificates, each of which must parse. */
export function checkPemCertificates(value: string): string | undefined {
  const blocks = value.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) return 'must be one or more PEM certificates (-----BEGIN CERTIFICATE----- …)'
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block)
    } catch {
      return `certificate ${String(i + 1)} is not a valid PEM certificate`
    }
  }
  return undefined
}
