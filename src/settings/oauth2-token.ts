import { SettingsError } from './errors.js'
import { checkTokenUrl } from './syntax.js'

/** The subset of WHATWG `fetch` the token provider needs (Node's global fetch fits). */
export type FetchLike = (
  url: string,
  init: {
    method: 'POST'
    headers: Record<string, string>
    body: string
    redirect: 'error'
    signal: AbortSignal
  },
) => Promise<{ readonly status: number; readonly headers: { get(name: string): string | null }; text(): Promise<string> }>

export interface OAuth2ClientConfig {
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  /** Space-separated; '' or absent sends no scope parameter. */
  readonly scope?: string
  /**
   * How the client authenticates (RFC 6749 §2.3.1): 'basic' = HTTP Basic, which every server must
   * support (default); 'body' = client_id/client_secret in the form body.
   */
  readonly clientAuth?: 'basic' | 'body'
}

export interface OAuth2ProviderOptions {
  readonly fetch?: FetchLike
  /** Clock in ms since the epoch (injected so expiry runs under fake time). */
  readonly now?: () => number
  /** Bound on one token request. Default 30 s. */
  readonly timeoutMs?: number
}

/** The `accessToken` function of SmtpAuth: a cached token, or a new one with `refresh: true`. */
export type AccessTokenProvider = (opts?: { readonly refresh?: boolean }) => Promise<string>

/** Renew this long before `expires_in` runs out (at most a tenth of the lifetime for short ones). */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000
/** Lifetime assumed when the server omits `expires_in` (RFC 6749 §5.1 only RECOMMENDS it). */
export const TOKEN_DEFAULT_LIFETIME_MS = 300_000
export const TOKEN_REQUEST_TIMEOUT_MS = 30_000

/**
 * OAuth2 client-credentials grant (RFC 6749 §4.4) for AUTH XOAUTH2. The token is cached until
 * shortly before it expires; concurrent callers share one request; `refresh: true` (after the SMTP
 * server refused the token with 334/535) forces a new one. Errors are SettingsError
 * ERR_CONFIG_OAUTH2 with `step` set, and never contain the client secret.
 *
 * @example
 * const accessToken = createOAuth2TokenProvider({ tokenUrl, clientId, clientSecret, scope: 'https://outlook.office365.com/.default' })
 * const auth = { method: 'XOAUTH2', username: 'alerts@contoso.com', accessToken }
 */
export function createOAuth2TokenProvider(
  cfg: OAuth2ClientConfig,
  opts: OAuth2ProviderOptions = {},
): AccessTokenProvider {
  const fetchImpl: FetchLike = opts.fetch ?? (globalThis.fetch)
  const now = opts.now ?? Date.now
  const timeoutMs = opts.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS
  let cached: { token: string; renewAt: number } | undefined
  let inflight: Promise<string> | undefined

  const scrub = (text: string): string => redactSecret(text, cfg.clientSecret)

  async function requestToken(): Promise<string> {
    const urlProblem = cfg.tokenUrl === '' ? 'is not set' : checkTokenUrl(cfg.tokenUrl)
    if (urlProblem !== undefined) throw fail('config', `oauth2.tokenUrl ${urlProblem}`)
    if (cfg.clientId === '') throw fail('config', 'oauth2.clientId is not set')
    if (cfg.clientSecret === '') throw fail('config', 'oauth2.clientSecret is not set')
    const target = new URL(cfg.tokenUrl)
    const where = `${target.origin}${target.pathname}`

    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (cfg.scope !== undefined && cfg.scope !== '') form.set('scope', cfg.scope)
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    }
    if ((cfg.clientAuth ?? 'basic') === 'basic') {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded first, then joined by ':' and base64-encoded.
      const basic = `${formEncode(cfg.clientId)}:${formEncode(cfg.clientSecret)}`
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`
    } else {
      form.set('client_id', cfg.clientId)
      form.set('client_secret', cfg.clientSecret)
    }

    const started = now()
    let response: Awaited<ReturnType<FetchLike>>
    let body: string
    try {
      response = await fetchImpl(cfg.tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        // A redirect would carry the credentials to wherever it points: refuse it.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      })
      body = await response.text()
    } catch (cause) {
      throw fail('request', `token request to ${where} failed: ${scrub(describe(cause))}`)
    }

    let json: Record<string, unknown> | undefined
    try {
      const parsed: unknown = JSON.parse(body)
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>
    } catch {
      json = undefined
    }
    if (response.status < 200 || response.status > 299) {
      // RFC 6749 §5.2: error and error_description say why (invalid_client, invalid_scope, …).
      const reason = [json?.error, json?.error_description].filter((v) => typeof v === 'string').join(': ')
      throw fail('response', `token endpoint ${where} answered HTTP ${String(response.status)}` +
        (reason === '' ? '' : `: ${scrub(reason).slice(0, 300)}`))
    }
    if (json === undefined)
      throw fail('parse', `token endpoint ${where} did not answer with a JSON object ` +
        `(content-type ${response.headers.get('content-type') ?? 'none'})`)
    const token = json.access_token
    if (typeof token !== 'string' || token === '') throw fail('parse', `token endpoint ${where} answered without an access_token`)
    if (typeof json.token_type === 'string' && json.token_type.toLowerCase() !== 'bearer')
      throw fail('parse', `token endpoint ${where} issued a "${json.token_type}" token; XOAUTH2 needs a Bearer token`)
    const expiresIn = Number(json.expires_in)
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : TOKEN_DEFAULT_LIFETIME_MS
    const margin = Math.min(TOKEN_EXPIRY_MARGIN_MS, lifetimeMs / 10)
    cached = { token, renewAt: started + lifetimeMs - margin }
    return token
  }

  return async function oauth2AccessToken(options = {}): Promise<string> {
    if (options.refresh !== true && cached !== undefined && now() < cached.renewAt) return cached.token
    if (options.refresh === true) cached = undefined
    inflight ??= requestToken().finally(() => {
      inflight = undefined
    })
    return inflight
  }
}

function fail(step: string, message: string): SettingsError {
  return new SettingsError('ERR_CONFIG_OAUTH2', `OAuth2 ${step}: ${message}`, { step })
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : ''
  return `${cause.message}${inner}`
}

/** Removes every spelling of the secret that could come back in an echo: raw, form- and base64-encoded. */
export function redactSecret(text: string, secret: string): string {
  if (secret === '') return text
  let out = text
  for (const form of [secret, formEncode(secret), encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
    if (form !== '') out = out.split(form).join('[redacted]')
  }
  return out
}
