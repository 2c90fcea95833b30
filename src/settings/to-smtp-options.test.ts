import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_RECIPIENTS_PER_MESSAGE } from '../smtp/index.js'
import type { EmailSettings } from './schema.js'
import { smtpOptionsFromSettings } from './to-smtp-options.js'
import { validateEmailSettings } from './validate.js'

function settings(input: Record<string, unknown>): EmailSettings {
  const r = validateEmailSettings(input)
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.value
}

/** Every field away from its default, so a mapping that ignores one shows up. */
const EVERYTHING = settings({
  enabled: true,
  host: 'mail.example.net',
  port: 2525,
  connectionTimeoutMs: 1234,
  socketTimeoutMs: 5678,
  authEnabled: true,
  username: 'user@example.net',
  password: 's3cret',
  technicalSupport: true,
  encryption: 'NONE',
  dsnRet: 'HDRS',
  dsnNotify: ['FAILURE', 'DELAY'],
  ehlo: false,
  startTls: false,
  eightBitMime: true,
  partialEmail: true,
  userSet: true,
  quitWait: false,
  fromAddress: 'alerts@example.net',
  fromName: 'Alerts',
  heloName: 'appliance.example.net',
  supportAddress: 'support@vendor.example',
  tlsMinVersion: 'TLSv1.3',
  tlsVerify: false,
  authMethod: 'CRAM-MD5',
  allowInsecureAuth: true,
  maxConnections: 7,
  maxMessagesPerConnection: 42,
  maxRecipientsPerMessage: 25,
  rateLimitPerMinute: 99,
  maxMessageBytes: 1_000_000,
  applianceName: 'edge-01',
})

describe('smtpOptionsFromSettings', () => {
  it('maps every client-relevant field', () => {
    const withCa: EmailSettings = { ...EVERYTHING, tlsCa: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----' }
    expect(smtpOptionsFromSettings(withCa)).toEqual({
      host: 'mail.example.net',
      port: 2525,
      encryption: 'NONE',
      startTls: false,
      connectionTimeoutMs: 1234,
      socketTimeoutMs: 5678,
      ehlo: false,
      heloName: 'appliance.example.net',
      tlsMinVersion: 'TLSv1.3',
      tlsVerify: false,
      tlsCa: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----',
      auth: { method: 'CRAM-MD5', username: 'user@example.net', password: 's3cret' },
      allowInsecureAuth: true,
      eightBitMime: true,
      dsnRet: 'HDRS',
      dsnNotify: ['FAILURE', 'DELAY'],
      userSet: true,
      quitWait: false,
      maxConnections: 7,
      maxMessagesPerConnection: 42,
      maxRecipientsPerMessage: 25,
    })
  })

  it('maps the defaults, leaving out empty optional names', () => {
    const opts = smtpOptionsFromSettings(settings({ host: 'smtp.example.com' }))
    expect(opts).toEqual({
      host: 'smtp.example.com', port: 587, encryption: 'TLS', startTls: true, connectionTimeoutMs: 0,
      socketTimeoutMs: 0, ehlo: true, tlsMinVersion: 'TLSv1.2', tlsVerify: true, allowInsecureAuth: false,
      eightBitMime: false, dsnRet: 'NONE', dsnNotify: [], userSet: false, quitWait: true, maxConnections: 2,
      maxMessagesPerConnection: 100, maxRecipientsPerMessage: DEFAULT_MAX_RECIPIENTS_PER_MESSAGE,
    })
    expect('heloName' in opts).toBe(false)
    expect('tlsCa' in opts).toBe(false)
    expect('auth' in opts).toBe(false)
  })

  it('leaves auth out when Enable Auth is off, even with a password', () => {
    expect(smtpOptionsFromSettings({ ...EVERYTHING, authEnabled: false }).auth).toBeUndefined()
  })

  it('takes the password from secrets over the settings', () => {
    expect(smtpOptionsFromSettings(EVERYTHING, { password: 'from-store' }).auth).toEqual({
      method: 'CRAM-MD5', username: 'user@example.net', password: 'from-store',
    })
  })

  it('omits an empty password rather than sending an empty one', () => {
    const { password: _password, ...noPassword } = EVERYTHING
    expect(smtpOptionsFromSettings(noPassword).auth).toEqual({ method: 'CRAM-MD5', username: 'user@example.net' })
  })

  it('XOAUTH2 uses the access token from secrets and never hands over the password', () => {
    const xo: EmailSettings = { ...EVERYTHING, authMethod: 'XOAUTH2' }
    expect(smtpOptionsFromSettings(xo, { accessToken: 'tok', password: 'pw' }).auth).toEqual({
      method: 'XOAUTH2', username: 'user@example.net', accessToken: 'tok',
    })
  })

  it('XOAUTH2 without a token in secrets gets a token provider built from settings.oauth2', () => {
    const xo: EmailSettings = {
      ...EVERYTHING, authMethod: 'XOAUTH2',
      oauth2: { tokenUrl: 'https://login.example.com/token', clientId: 'app', scope: 's', clientSecret: 'cs' },
    }
    const auth = smtpOptionsFromSettings(xo).auth
    expect(auth?.method).toBe('XOAUTH2')
    expect(typeof auth?.accessToken).toBe('function')
    expect(auth?.password).toBeUndefined()
  })

  it('does not share the dsnNotify array with the settings', () => {
    const opts = smtpOptionsFromSettings(EVERYTHING)
    expect(opts.dsnNotify).not.toBe(EVERYTHING.dsnNotify)
  })
})

describe('maxRecipientsPerMessage', () => {
  it('defaults to the SMTP client\'s default (RFC 5321 §4.5.3.1.8: 100)', () => {
    expect(settings({}).maxRecipientsPerMessage).toBe(DEFAULT_MAX_RECIPIENTS_PER_MESSAGE)
    expect(DEFAULT_MAX_RECIPIENTS_PER_MESSAGE).toBe(100)
  })

  it.each([0, 1001, 2.5, '50', -1])('refuses %j with an error naming the field', (value) => {
    const r = validateEmailSettings({ maxRecipientsPerMessage: value })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors.map((e) => e.field)).toEqual(['maxRecipientsPerMessage'])
    expect(r.errors[0]?.message).toMatch(/1.*1000|integer/)
  })

  it.each([1, 1000])('accepts the bound %d', (value) => {
    expect(settings({ maxRecipientsPerMessage: value }).maxRecipientsPerMessage).toBe(value)
  })
})
