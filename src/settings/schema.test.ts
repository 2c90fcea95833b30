import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { EMAIL_SETTINGS_DEFAULTS, EmailSettings } from './schema.js'
import { SETTINGS_SCHEMA_KEYWORDS } from './schema-helpers.js'

interface Node {
  type?: string
  title?: string
  description?: string
  default?: unknown
  examples?: unknown[]
  writeOnly?: boolean
  maxLength?: number
  additionalProperties?: boolean
  properties?: Record<string, Node>
  'x-section'?: string
  'x-order'?: number
}

function walk(props: Record<string, Node>, prefix = ''): [string, Node][] {
  return Object.entries(props).flatMap(([k, s]) => [
    [`${prefix}${k}`, s] as [string, Node],
    ...(s.type === 'object' ? walk(s.properties ?? {}, `${prefix}${k}.`) : []),
  ])
}

const ALL = walk(EmailSettings.properties as unknown as Record<string, Node>)
const ajv = new Ajv({ strict: true, keywords: [...SETTINGS_SCHEMA_KEYWORDS] })

/** The seed page's labels (seed/email-settings.md), exactly as the UI must show them. */
const SEED_LABELS: Record<string, string> = {
  enabled: 'Enable Email Notifications', host: 'Email Server', port: 'Server Port',
  connectionTimeoutMs: 'Connection Timeout', socketTimeoutMs: 'Socket Timeout', authEnabled: 'Enable Auth',
  username: 'Email Address', password: 'Email Password', technicalSupport: 'Technical Support',
  encryption: 'Encryption Protocol', dsnRet: 'DSN Response', dsnNotify: 'DSN Notify', ehlo: 'Enable EHLO',
  startTls: 'Start TLS', eightBitMime: 'Enable 8-bit Mime', partialEmail: 'Enable Partial Email',
  userSet: 'Enable UserSet', quitWait: 'Enable Quit Wait',
}

describe('EmailSettings schema', () => {
  it('has the seed fields first, in the seed order, with the seed labels', () => {
    const seed = Object.entries(EmailSettings.properties as unknown as Record<string, Node>)
      .filter(([, s]) => s['x-section'] === 'seed')
      .sort(([, a], [, b]) => (a['x-order'] ?? 0) - (b['x-order'] ?? 0))
    expect(Object.fromEntries(seed.map(([k, s]) => [k, s.title]))).toEqual(SEED_LABELS)
    expect(Object.keys(EmailSettings.properties).slice(0, 18)).toEqual(Object.keys(SEED_LABELS))
  })

  it('has every advanced field of TEAM.md', () => {
    for (const field of ['fromAddress', 'fromName', 'heloName', 'supportAddress', 'tlsMinVersion', 'tlsVerify', 'tlsCa',
      'authMethod', 'oauth2.tokenUrl', 'oauth2.clientId', 'oauth2.clientSecret', 'oauth2.scope', 'allowInsecureAuth',
      'maxConnections', 'maxMessagesPerConnection', 'rateLimitPerMinute', 'maxMessageBytes', 'retry.maxAttempts',
      'retry.minDelayMs', 'retry.maxDelayMs', 'retry.factor', 'retry.jitter', 'retry.maxAgeMs', 'applianceName',
      'consoleUrl', 'templates.subject', 'templates.text', 'templates.html'])
      expect(ALL.map(([f]) => f)).toContain(field)
  })

  for (const [field, s] of ALL) {
    it(`${field}: title, description, section, order${s.type === 'object' ? '' : ', examples and default'}`, () => {
      expect(s.title?.length).toBeGreaterThan(2)
      expect(s.description?.length).toBeGreaterThan(20)
      expect(['seed', 'advanced']).toContain(s['x-section'])
      expect(Number.isInteger(s['x-order'])).toBe(true)
      if (s.type === 'object') {
        expect(s.additionalProperties).toBe(false)
        return
      }
      expect(s.examples?.length).toBeGreaterThan(0)
      const check = ajv.compile({ ...s })
      for (const example of s.examples ?? []) expect(check(example), `${field} example ${JSON.stringify(example)}`).toBe(true)
      if (s.writeOnly === true) expect(s.default).toBeUndefined()
      else expect(s.default).toEqual(field.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], EMAIL_SETTINGS_DEFAULTS))
      // Free text is length-bounded; an enumeration is bounded by its values.
      if (s.type === 'string' && !('enum' in s)) expect(s.maxLength).toBeGreaterThan(0)
    })
  }

  it('marks exactly the secrets write-only', () => {
    expect(ALL.filter(([, s]) => s.writeOnly === true).map(([f]) => f)).toEqual(['password', 'oauth2.clientSecret'])
  })

  it('refuses unknown keys at the top level', () => {
    expect(EmailSettings.additionalProperties).toBe(false)
  })

  it('describes DSN Response as the RFC 3461 RET parameter, not DNS', () => {
    const dsnRet = (EmailSettings.properties as unknown as Record<string, Node>).dsnRet
    expect(dsnRet?.description).toContain('RFC 3461')
    expect(dsnRet?.description).not.toMatch(/\bDNS\b/)
  })
})
