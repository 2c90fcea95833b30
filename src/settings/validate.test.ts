import { describe, expect, it } from 'vitest'
import { EMAIL_SETTINGS_DEFAULTS, EmailSettings } from './schema.js'
import { NO_LINE_BREAKS } from './schema-helpers.js'
import { SettingsError } from './errors.js'
import { defaultEmailSettings, parseEmailSettings, validateEmailSettings } from './validate.js'

interface Leaf {
  type?: string
  enum?: unknown[]
  minimum?: number
  maximum?: number
  maxLength?: number
  pattern?: string
  items?: Leaf
  properties?: Record<string, Leaf>
}

/** Every leaf field of the schema with its dotted name. */
function leaves(props: Record<string, Leaf>, prefix = ''): [string, Leaf][] {
  return Object.entries(props).flatMap(([k, s]) =>
    s.type === 'object' ? leaves(s.properties ?? {}, `${prefix}${k}.`) : [[`${prefix}${k}`, s] as [string, Leaf]])
}

/** Bad values for a field, derived from its schema: wrong type, out of range, oversized, CR/LF. */
function badValues(s: Leaf): unknown[] {
  if (s.enum !== undefined) return ['BOGUS', 1, null, true]
  switch (s.type) {
    case 'boolean':
      return ['yes', 1, null, 'true']
    case 'integer':
      return ['12', 1.5, null, (s.minimum ?? 0) - 1, (s.maximum ?? 0) + 1]
    case 'number':
      return ['2', null, (s.minimum ?? 0) - 0.5, (s.maximum ?? 0) + 1]
    case 'string':
      return [5, null, false, 'x'.repeat((s.maxLength ?? 0) + 1),
        ...(s.pattern === NO_LINE_BREAKS ? ['a\r\nRCPT TO:<x@evil.example>', 'a\nb', 'a\rb', 'a\u0000b'] : [])]
    case 'array':
      return ['FAILURE', [1], ['BOGUS'], ['FAILURE', 'FAILURE']]
    default:
      throw new Error(`no bad values for type ${String(s.type)}`)
  }
}

function setPath(field: string, value: unknown): Record<string, unknown> {
  const parts = field.split('.')
  const root: Record<string, unknown> = {}
  let node = root
  for (const part of parts.slice(0, -1)) {
    node[part] = {}
    node = node[part] as Record<string, unknown>
  }
  node[parts.at(-1) ?? ''] = value
  return root
}

const LEAVES = leaves(EmailSettings.properties as unknown as Record<string, Leaf>)
const SECRETS = new Set(['password', 'oauth2.clientSecret'])

describe('validateEmailSettings: every field refuses bad values and names the field', () => {
  it('covers all 50+ leaf fields of the schema', () => {
    expect(LEAVES.length).toBeGreaterThan(45)
  })
  for (const [field, schema] of LEAVES) {
    for (const bad of badValues(schema)) {
      const label = typeof bad === 'string' && bad.length > 30 ? `"${bad.slice(0, 10)}…" (${String(bad.length)} chars)` : JSON.stringify(bad)
      it(`${field} = ${label} is refused with an issue naming ${field}`, () => {
        const r = validateEmailSettings(setPath(field, bad))
        expect(r.ok).toBe(false)
        if (r.ok) return
        const issue = r.errors.find((e) => e.field === field)
        expect(issue, JSON.stringify(r.errors)).toBeDefined()
        expect(issue?.message.startsWith(`${field}: `)).toBe(true)
        expect(issue?.message).toMatch(/must|not|required/)
        if (SECRETS.has(field) && typeof bad === 'string') expect(issue?.message).not.toContain(bad)
      })
    }
  }
})

describe('validateEmailSettings: messages say what is allowed', () => {
  const messageFor = (input: unknown, field: string): string | undefined => {
    const r = validateEmailSettings(input)
    return r.ok ? undefined : r.errors.find((e) => e.field === field)?.message
  }
  it('port out of range', () => {
    expect(messageFor({ port: 70000 }, 'port')).toBe('port: must be an integer from 1 to 65535 (got 70000)')
  })
  it('timeouts carry their unit', () => {
    expect(messageFor({ socketTimeoutMs: -1 }, 'socketTimeoutMs')).toBe(
      'socketTimeoutMs: must be an integer from 0 to 3600000 (milliseconds) (got -1)')
  })
  it('enumerations list their values', () => {
    expect(messageFor({ encryption: 'STARTTLS' }, 'encryption')).toBe('encryption: must be one of "NONE", "SSL", "TLS" (got "STARTTLS")')
  })
  it('booleans', () => {
    expect(messageFor({ enabled: 'yes' }, 'enabled')).toBe('enabled: must be true or false (got "yes")')
  })
  it('CR/LF injection', () => {
    expect(messageFor({ fromName: 'x\r\nBcc: victim@example.com' }, 'fromName')).toBe(
      'fromName: must not contain line breaks (CR, LF) or NUL characters')
  })
  it('oversized strings give the limit and the length', () => {
    expect(messageFor({ host: 'a'.repeat(300) }, 'host')).toBe('host: must be at most 253 characters long (got 300)')
  })
  it('an oversized password does not reveal its length or value', () => {
    const msg = messageFor({ password: 'p'.repeat(2000) }, 'password')
    expect(msg).toBe('password: must be at most 1024 characters long')
  })
  it('a password of the wrong type does not echo the value', () => {
    expect(messageFor({ password: 123456 }, 'password')).toBe('password: must be text of at most 1024 characters')
  })
  it('unknown keys are refused, with a suggestion for a near miss', () => {
    expect(messageFor({ hots: 'x' }, 'hots')).toBe('hots: is not a known setting (did you mean "host"?)')
    expect(messageFor({ colour: 'red' }, 'colour')).toBe('colour: is not a known setting')
    expect(messageFor({ retry: { maxAttempt: 3 } }, 'retry.maxAttempt')).toBe(
      'retry.maxAttempt: is not a known setting (did you mean "retry.maxAttempts"?)')
    expect(messageFor({ oauth2: { secret: 'x' } }, 'oauth2.secret')).toMatch(/^oauth2\.secret: is not a known setting/)
  })
  it('a non-object is refused as a whole', () => {
    for (const input of [null, [], 'settings', 42]) {
      const r = validateEmailSettings(input)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.errors[0]?.message).toMatch(/^settings: must be a JSON object/)
    }
  })
  it('a nested object of the wrong type names the object', () => {
    expect(messageFor({ retry: 5 }, 'retry')).toMatch(/^retry: must be an object with the fields maxAttempts, minDelayMs/)
  })
  it('reports every problem at once, one issue per field', () => {
    const r = validateEmailSettings({ port: 0, enabled: 'no', host: 'a\nb', dsnRet: 'X' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.map((e) => e.field).sort()).toEqual(['dsnRet', 'enabled', 'host', 'port'])
  })
})

describe('validateEmailSettings: defaults', () => {
  it('fills in the seed defaults exactly', () => {
    const r = validateEmailSettings({})
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value).toMatchObject({
      enabled: false, host: '', port: 587, connectionTimeoutMs: 0, socketTimeoutMs: 0, authEnabled: false,
      username: '', technicalSupport: false, encryption: 'TLS', dsnRet: 'NONE', dsnNotify: [], ehlo: true,
      startTls: true, eightBitMime: false, partialEmail: false, userSet: false, quitWait: true,
    })
    expect(r.value.password).toBeUndefined()
    expect(r.warnings).toEqual([])
  })
  it('fills in the advanced defaults', () => {
    expect(defaultEmailSettings()).toMatchObject({
      tlsMinVersion: 'TLSv1.2', tlsVerify: true, authMethod: 'AUTO', allowInsecureAuth: false,
      rateLimitPerMinute: 0, oauth2: { tokenUrl: '', clientId: '', scope: '' },
      retry: { maxAttempts: 10, minDelayMs: 5000, maxDelayMs: 900000, factor: 2, jitter: 0.2, maxAgeMs: 86400000 },
      templates: { subject: '', text: '', html: '' },
    })
  })
  it('the schema defaults and EMAIL_SETTINGS_DEFAULTS are the same object', () => {
    expect(defaultEmailSettings()).toEqual(EMAIL_SETTINGS_DEFAULTS)
    expect(Object.isFrozen(EMAIL_SETTINGS_DEFAULTS.retry)).toBe(true)
  })
  it('fills nested defaults when a nested object is partly given', () => {
    const r = validateEmailSettings({ retry: { maxAttempts: 3 } })
    expect(r.ok && r.value.retry).toEqual({ ...EMAIL_SETTINGS_DEFAULTS.retry, maxAttempts: 3 })
  })
  it('does not mutate its input', () => {
    const input = { port: 25 }
    validateEmailSettings(input)
    expect(input).toEqual({ port: 25 })
  })
  it('treats an undefined member as absent', () => {
    const r = validateEmailSettings({ password: undefined, port: 25 })
    expect(r.ok).toBe(true)
    if (r.ok) expect('password' in r.value).toBe(false)
  })
})

describe('parseEmailSettings', () => {
  it('returns the value and warnings of valid settings', () => {
    const { value, warnings } = parseEmailSettings({ port: 465, encryption: 'SSL', tlsVerify: false })
    expect(value.port).toBe(465)
    expect(warnings.map((w) => w.field)).toEqual(['tlsVerify'])
  })
  it('throws ERR_CONFIG_INVALID listing every issue', () => {
    let error: unknown
    try {
      parseEmailSettings({ port: 0, hots: 'x' }, 'settings file /etc/alertmail.json')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(SettingsError)
    const e = error as SettingsError
    expect(e.code).toBe('ERR_CONFIG_INVALID')
    expect(e.message).toMatch(/^settings file \/etc\/alertmail\.json are invalid: /)
    expect(e.message).toContain('port: must be an integer from 1 to 65535')
    expect(e.issues.map((i) => i.field).sort()).toEqual(['hots', 'port'])
  })
})
