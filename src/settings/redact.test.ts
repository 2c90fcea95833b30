import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { changedFields, diffSettings, EmailSettingsResponse, redactSettings, toSettingsResponse } from './redact.js'
import { SETTINGS_SCHEMA_KEYWORDS } from './schema-helpers.js'
import type { EmailSettings } from './schema.js'
import { mayReuseStoredSecrets, readSecrets, withoutSecrets } from './secret-fields.js'
import { defaultEmailSettings } from './validate.js'

const STORED: EmailSettings = {
  ...defaultEmailSettings(),
  host: 'smtp.example.com',
  username: 'alerts@example.com',
  password: 'hunter2-very-secret',
  oauth2: { tokenUrl: 'https://login.example.com/token', clientId: 'app', scope: '', clientSecret: 'client-secret-xyz' },
}

describe('toSettingsResponse', () => {
  it('removes the secrets and says whether they are set', () => {
    const res = toSettingsResponse(STORED, { version: 3 })
    const json = JSON.stringify(res)
    expect(json).not.toContain('hunter2-very-secret')
    expect(json).not.toContain('client-secret-xyz')
    expect(res.passwordSet).toBe(true)
    expect(res.oauth2.clientSecretSet).toBe(true)
    expect(res.version).toBe(3)
    expect('password' in res).toBe(false)
    expect('clientSecret' in res.oauth2).toBe(false)
    expect(res.host).toBe('smtp.example.com')
  })
  it('reports unset secrets as false, or takes the flags from the store', () => {
    const { password: _p, ...noPassword } = STORED
    expect(toSettingsResponse(noPassword, { version: 1 }).passwordSet).toBe(false)
    expect(toSettingsResponse({ ...STORED, password: '' }, { version: 1 }).passwordSet).toBe(false)
    const flags = toSettingsResponse(noPassword, { version: 1, passwordSet: true, clientSecretSet: false })
    expect(flags.passwordSet).toBe(true)
    expect(flags.oauth2.clientSecretSet).toBe(false)
  })
  it('matches the EmailSettingsResponse schema, which has no secret fields', () => {
    const ajv = new Ajv({ strict: true, keywords: [...SETTINGS_SCHEMA_KEYWORDS] })
    const validate = ajv.compile(EmailSettingsResponse)
    expect(validate(toSettingsResponse(STORED, { version: 0 })), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({ ...toSettingsResponse(STORED, { version: 0 }), password: 'x' })).toBe(false)
    expect(Object.keys(EmailSettingsResponse.properties)).not.toContain('password')
  })
})

describe('diffSettings', () => {
  it('lists changed fields with values, secrets only as "changed"', () => {
    const after: EmailSettings = {
      ...STORED, port: 465, encryption: 'SSL', password: 'new-password-123',
      retry: { ...STORED.retry, maxAttempts: 3 }, dsnNotify: ['FAILURE'],
    }
    const changes = diffSettings(STORED, after)
    expect(changes).toEqual([
      { field: 'port', secret: false, before: 587, after: 465 },
      { field: 'password', secret: true, change: 'changed' },
      { field: 'encryption', secret: false, before: 'TLS', after: 'SSL' },
      { field: 'dsnNotify', secret: false, before: [], after: ['FAILURE'] },
      { field: 'retry.maxAttempts', secret: false, before: 10, after: 3 },
    ])
    const json = JSON.stringify(changes)
    expect(json).not.toContain('hunter2')
    expect(json).not.toContain('new-password-123')
  })
  it('reports a set or cleared secret as changed, and an unchanged one not at all', () => {
    const { password: _p, ...cleared } = STORED
    expect(diffSettings(STORED, cleared)).toEqual([{ field: 'password', secret: true, change: 'changed' }])
    expect(diffSettings(cleared, STORED)).toEqual([{ field: 'password', secret: true, change: 'changed' }])
    expect(diffSettings(STORED, { ...STORED })).toEqual([])
    expect(diffSettings({ ...STORED, password: '' }, cleared)).toEqual([])
    expect(changedFields(STORED, { ...STORED, oauth2: { ...STORED.oauth2, clientSecret: 'other' } })).toEqual(['oauth2.clientSecret'])
  })
})

describe('secret helpers', () => {
  it('redactSettings masks secrets for logs without touching the original', () => {
    const red = redactSettings(STORED)
    expect(red.password).toBe('[redacted]')
    expect(red.oauth2.clientSecret).toBe('[redacted]')
    expect(STORED.password).toBe('hunter2-very-secret')
  })
  it('withoutSecrets drops them; readSecrets collects them', () => {
    const clear = withoutSecrets(STORED)
    expect(JSON.stringify(clear)).not.toMatch(/hunter2|client-secret-xyz/)
    expect(readSecrets(STORED)).toEqual({ password: 'hunter2-very-secret', clientSecret: 'client-secret-xyz' })
    expect(readSecrets(defaultEmailSettings())).toEqual({})
  })
  it('mayReuseStoredSecrets: only while host, port, encryption and username are unchanged', () => {
    expect(mayReuseStoredSecrets(STORED, { ...STORED })).toEqual({ password: true, clientSecret: true })
    expect(mayReuseStoredSecrets(STORED, { ...STORED, host: 'SMTP.example.com' }).password).toBe(true)
    for (const change of [{ host: 'evil.example' }, { port: 2525 }, { encryption: 'NONE' as const }, { username: 'x@example.com' }])
      expect(mayReuseStoredSecrets(STORED, { ...STORED, ...change }), JSON.stringify(change)).toEqual({ password: false, clientSecret: false })
    expect(mayReuseStoredSecrets(STORED, { ...STORED, oauth2: { ...STORED.oauth2, tokenUrl: 'https://evil.example/t' } }))
      .toEqual({ password: true, clientSecret: false })
    expect(mayReuseStoredSecrets(STORED, { ...STORED, oauth2: { ...STORED.oauth2, clientId: 'other' } }).clientSecret).toBe(false)
  })
})
