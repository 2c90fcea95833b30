import type { SmtpAuth, SmtpOptions } from '../smtp/index.js'
import { createOAuth2TokenProvider, type FetchLike } from './oauth2-token.js'
import type { EmailSettings } from './schema.js'

/** Secrets kept outside the settings object (unsealed from the store, or typed into a test form). */
export interface SmtpSecrets {
  /** Overrides `settings.password`. */
  readonly password?: string
  /** XOAUTH2: a token, or a provider; overrides the one built from `settings.oauth2`. */
  readonly accessToken?: SmtpAuth['accessToken']
  /** XOAUTH2: overrides `settings.oauth2.clientSecret` when the token provider is built here. */
  readonly clientSecret?: string
  /** Passed to the token provider built here (tests, proxies). */
  readonly fetch?: FetchLike
}

/**
 * The one place that maps E-Mail settings onto the SMTP client's options (DESIGN.md §2 → SmtpOptions).
 * `settings` must be validated (validateEmailSettings) first. Authentication is present only when
 * Enable Auth is on; for XOAUTH2 the access token comes from `secrets.accessToken`, otherwise from a
 * client-credentials provider built from `settings.oauth2` (cached until shortly before expiry).
 *
 * @example
 * const pool = new SmtpPool(smtpOptionsFromSettings(settings, { password: box.unseal(stored.password) }))
 */
export function smtpOptionsFromSettings(settings: EmailSettings, secrets: SmtpSecrets = {}): SmtpOptions {
  const auth = settings.authEnabled ? authFromSettings(settings, secrets) : undefined
  return {
    host: settings.host,
    port: settings.port,
    encryption: settings.encryption,
    startTls: settings.startTls,
    connectionTimeoutMs: settings.connectionTimeoutMs,
    socketTimeoutMs: settings.socketTimeoutMs,
    ehlo: settings.ehlo,
    ...(settings.heloName === '' ? {} : { heloName: settings.heloName }),
    tlsMinVersion: settings.tlsMinVersion,
    tlsVerify: settings.tlsVerify,
    ...(settings.tlsCa === '' ? {} : { tlsCa: settings.tlsCa }),
    ...(auth === undefined ? {} : { auth }),
    allowInsecureAuth: settings.allowInsecureAuth,
    eightBitMime: settings.eightBitMime,
    dsnRet: settings.dsnRet,
    dsnNotify: [...settings.dsnNotify],
    userSet: settings.userSet,
    quitWait: settings.quitWait,
    maxConnections: settings.maxConnections,
    maxMessagesPerConnection: settings.maxMessagesPerConnection,
    maxRecipientsPerMessage: settings.maxRecipientsPerMessage,
  }
}

function authFromSettings(settings: EmailSettings, secrets: SmtpSecrets): SmtpAuth {
  const base = { method: settings.authMethod, username: settings.username }
  if (settings.authMethod !== 'XOAUTH2') {
    const password = secrets.password ?? settings.password
    return password === undefined || password === '' ? base : { ...base, password }
  }
  // XOAUTH2 (RFC 7628-style bearer): the password is not used, so it is not handed to the client.
  if (secrets.accessToken !== undefined) return { ...base, accessToken: secrets.accessToken }
  const provider = createOAuth2TokenProvider(
    {
      tokenUrl: settings.oauth2.tokenUrl,
      clientId: settings.oauth2.clientId,
      clientSecret: secrets.clientSecret ?? settings.oauth2.clientSecret ?? '',
      scope: settings.oauth2.scope,
    },
    secrets.fetch === undefined ? {} : { fetch: secrets.fetch },
  )
  return { ...base, accessToken: provider }
}
