import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createOAuth2TokenProvider,
  SettingsError,
  smtpOptionsFromSettings,
  validateEmailSettings,
} from '../../src/settings/index.js'

const SECRET = 'sup3r+secret/with=odd&chars'

interface Seen {
  authorization: string | undefined
  contentType: string | undefined
  form: URLSearchParams
}

/** A local OAuth2 token endpoint (RFC 6749 §4.4) whose answers the tests script. */
let server: Server
let base: string
let seen: Seen[] = []
let respond: (req: Seen) => { status: number; body: string; type?: string }
let tokenNumber = 0

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const s: Seen = { authorization: req.headers.authorization, contentType: req.headers['content-type'], form: new URLSearchParams(body) }
      seen.push(s)
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `${base}/token` }).end()
        return
      }
      const answer = respond(s)
      res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' }).end(answer.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  seen = []
  respond = () => ({ status: 200, body: JSON.stringify({ access_token: `token-${String(++tokenNumber)}`, token_type: 'Bearer', expires_in: 3600 }) })
})

const cfg = () => ({ tokenUrl: `${base}/token`, clientId: 'my app', clientSecret: SECRET, scope: 'https://outlook.office365.com/.default' })

async function failure(p: Promise<unknown>): Promise<SettingsError> {
  try {
    await p
  } catch (error) {
    if (error instanceof SettingsError) return error
    throw error
  }
  throw new Error('expected a SettingsError')
}

describe('createOAuth2TokenProvider', () => {
  it('performs the client-credentials grant with HTTP Basic credentials', async () => {
    const token = await createOAuth2TokenProvider(cfg())()
    expect(token).toMatch(/^token-\d+$/)
    expect(seen).toHaveLength(1)
    const [req] = seen
    expect(req?.contentType).toBe('application/x-www-form-urlencoded')
    expect(req?.form.get('grant_type')).toBe('client_credentials')
    expect(req?.form.get('scope')).toBe('https://outlook.office365.com/.default')
    expect(req?.form.has('client_secret')).toBe(false)
    // RFC 6749 §2.3.1: form-encode id and secret, then base64 "id:secret".
    const decoded = Buffer.from((req?.authorization ?? '').replace(/^Basic /, ''), 'base64').toString()
    const [id = '', secret = ''] = decoded.split(':')
    expect(decodeURIComponent(id.replace(/\+/g, ' '))).toBe('my app')
    expect(decodeURIComponent(secret.replace(/\+/g, ' '))).toBe(SECRET)
  })

  it('can send the credentials in the body instead', async () => {
    await createOAuth2TokenProvider({ ...cfg(), clientAuth: 'body' })()
    expect(seen[0]?.authorization).toBeUndefined()
    expect(seen[0]?.form.get('client_id')).toBe('my app')
    expect(seen[0]?.form.get('client_secret')).toBe(SECRET)
  })

  it('sends no scope parameter when scope is empty', async () => {
    await createOAuth2TokenProvider({ ...cfg(), scope: '' })()
    expect(seen[0]?.form.has('scope')).toBe(false)
  })

  it('caches the token until shortly before it expires', async () => {
    let now = 1_000_000
    const provider = createOAuth2TokenProvider(cfg(), { now: () => now })
    const first = await provider()
    now += 3_000_000 // 50 minutes of a 60-minute token: still cached
    expect(await provider()).toBe(first)
    expect(seen).toHaveLength(1)
    now += 541_000 // 59 min 1 s: inside the 60 s renewal margin
    const second = await provider()
    expect(second).not.toBe(first)
    expect(seen).toHaveLength(2)
  })

  it('renews short-lived tokens a tenth of their lifetime early', async () => {
    respond = () => ({ status: 200, body: JSON.stringify({ access_token: `t${String(++tokenNumber)}`, expires_in: 100 }) })
    let now = 0
    const provider = createOAuth2TokenProvider(cfg(), { now: () => now })
    const first = await provider()
    now = 89_000
    expect(await provider()).toBe(first)
    now = 90_000
    expect(await provider()).not.toBe(first)
  })

  it('refresh: true forces a new token even while the cached one is valid', async () => {
    const provider = createOAuth2TokenProvider(cfg())
    const first = await provider()
    const refreshed = await provider({ refresh: true })
    expect(refreshed).not.toBe(first)
    expect(await provider()).toBe(refreshed)
    expect(seen).toHaveLength(2)
  })

  it('concurrent callers share one request', async () => {
    const provider = createOAuth2TokenProvider(cfg())
    const tokens = await Promise.all([provider(), provider(), provider()])
    expect(new Set(tokens).size).toBe(1)
    expect(seen).toHaveLength(1)
  })

  it('an error response names the step and the OAuth2 error, never the secret', async () => {
    respond = () => ({ status: 401, body: JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${SECRET}` }) })
    const error = await failure(createOAuth2TokenProvider(cfg())())
    expect(error.code).toBe('ERR_CONFIG_OAUTH2')
    expect(error.step).toBe('response')
    expect(error.message).toMatch(/HTTP 401: invalid_client: bad secret \[redacted\]/)
    expect(error.message).not.toContain(SECRET)
    expect(JSON.stringify(error)).not.toContain(SECRET)
  })

  it('does not cache failures: the next call tries again', async () => {
    respond = () => ({ status: 503, body: 'busy', type: 'text/plain' })
    const provider = createOAuth2TokenProvider(cfg())
    expect((await failure(provider())).message).toMatch(/HTTP 503/)
    respond = () => ({ status: 200, body: JSON.stringify({ access_token: 'recovered', expires_in: 3600 }) })
    expect(await provider()).toBe('recovered')
  })

  it('refuses a non-JSON answer, a missing access_token and a non-Bearer token', async () => {
    respond = () => ({ status: 200, body: '<html>login</html>', type: 'text/html' })
    const notJson = await failure(createOAuth2TokenProvider(cfg())())
    expect(notJson.step).toBe('parse')
    expect(notJson.message).toMatch(/not answer with a JSON object.*text\/html/)
    respond = () => ({ status: 200, body: JSON.stringify({ token_type: 'Bearer' }) })
    expect((await failure(createOAuth2TokenProvider(cfg())())).message).toMatch(/without an access_token/)
    respond = () => ({ status: 200, body: JSON.stringify({ access_token: 'x', token_type: 'mac' }) })
    expect((await failure(createOAuth2TokenProvider(cfg())())).message).toMatch(/needs a Bearer token/)
  })

  it('a connection failure names the request step and the endpoint, not the secret', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await failure(createOAuth2TokenProvider({ ...cfg(), tokenUrl: `http://127.0.0.1:${String(port)}/token` })())
    expect(error.step).toBe('request')
    expect(error.message).toContain(`127.0.0.1:${String(port)}/token`)
    expect(error.message).not.toContain(SECRET)
  })

  it('does not follow a redirect with the credentials', async () => {
    const error = await failure(createOAuth2TokenProvider({ ...cfg(), tokenUrl: `${base}/redirect` })())
    expect(error.step).toBe('request')
    expect(seen).toHaveLength(1)
  })

  it('refuses incomplete configuration before any request', async () => {
    expect((await failure(createOAuth2TokenProvider({ ...cfg(), clientSecret: '' })())).message).toMatch(/clientSecret is not set/)
    expect((await failure(createOAuth2TokenProvider({ ...cfg(), tokenUrl: 'http://login.example.com/t' })())).step).toBe('config')
    expect(seen).toHaveLength(0)
  })
})

describe('smtpOptionsFromSettings with XOAUTH2', () => {
  it('builds a working token provider from settings.oauth2 and a separately kept client secret', async () => {
    const r = validateEmailSettings({
      authEnabled: true, username: 'alerts@contoso.example', authMethod: 'XOAUTH2',
      oauth2: { tokenUrl: `${base}/token`, clientId: 'app', scope: 'smtp' },
    })
    if (!r.ok) throw new Error(JSON.stringify(r.errors))
    const auth = smtpOptionsFromSettings(r.value, { clientSecret: SECRET }).auth
    const provider = auth?.accessToken
    if (typeof provider !== 'function') throw new Error('expected a token provider')
    expect(await provider({ refresh: false })).toMatch(/^token-/)
    expect(seen[0]?.form.get('scope')).toBe('smtp')
    expect(Buffer.from((seen[0]?.authorization ?? '').slice(6), 'base64').toString()).toContain('app:')
  })
})
