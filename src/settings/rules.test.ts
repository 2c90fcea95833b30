import { describe, expect, it } from 'vitest'
import { validateEmailSettings } from './validate.js'

const BASE = { enabled: true, host: 'smtp.example.com', username: 'alerts@example.com' }

function errorsOf(input: unknown): Record<string, string> {
  const r = validateEmailSettings(input)
  return r.ok ? {} : Object.fromEntries(r.errors.map((e) => [e.field, e.message]))
}

function warningsOf(input: unknown): Record<string, string> {
  const r = validateEmailSettings(input)
  return Object.fromEntries(r.warnings.map((w) => [w.field, w.message]))
}

function accepts(input: unknown): boolean {
  return validateEmailSettings(input).ok
}

describe('cross-field rules', () => {
  it('accepts a minimal enabled configuration', () => {
    expect(errorsOf(BASE)).toEqual({})
  })
  it('requires host when enabled', () => {
    expect(errorsOf({ ...BASE, host: '' }).host).toBe('host: is required when Enable Email Notifications is on')
    expect(accepts({ enabled: false, host: '' })).toBe(true)
  })
  it('requires a From address when enabled: fromAddress or an e-mail username', () => {
    expect(errorsOf({ ...BASE, username: '' }).fromAddress).toMatch(/^fromAddress: a From address is required/)
    expect(errorsOf({ ...BASE, username: 'apikey' }).fromAddress).toMatch(/username "apikey" is not an e-mail address/)
    expect(accepts({ ...BASE, username: 'apikey', fromAddress: 'alerts@example.com' })).toBe(true)
    expect(accepts({ ...BASE, username: '', fromAddress: 'alerts@example.com' })).toBe(true)
    expect(accepts({ enabled: false })).toBe(true)
  })
  it('requires username when Enable Auth is on', () => {
    expect(errorsOf({ authEnabled: true }).username).toBe('username: is required when Enable Auth is on')
    expect(accepts({ authEnabled: true, username: 'apikey' })).toBe(true)
  })
  it('encryption TLS requires startTls, hinting at SSL for 465', () => {
    const msg = errorsOf({ encryption: 'TLS', startTls: false }).startTls
    expect(msg).toMatch(/^startTls: must be on when encryption is "TLS"/)
    expect(msg).toContain('"SSL"')
    expect(msg).toContain('465')
    expect(accepts({ encryption: 'SSL', startTls: false, port: 465 })).toBe(true)
    expect(accepts({ encryption: 'NONE', startTls: false })).toBe(true)
  })
  it('dsnNotify is [], ["NEVER"], or a non-empty subset of SUCCESS/FAILURE/DELAY without repeats', () => {
    for (const ok of [[], ['NEVER'], ['SUCCESS'], ['FAILURE', 'DELAY'], ['SUCCESS', 'FAILURE', 'DELAY']])
      expect(accepts({ dsnNotify: ok }), JSON.stringify(ok)).toBe(true)
    expect(errorsOf({ dsnNotify: ['NEVER', 'SUCCESS'] }).dsnNotify).toMatch(/NEVER cannot be combined/)
    expect(errorsOf({ dsnNotify: ['FAILURE', 'FAILURE'] }).dsnNotify).toMatch(/same value twice/)
    expect(errorsOf({ dsnNotify: ['NEVER', 'NEVER'] }).dsnNotify).toBeDefined()
    expect(errorsOf({ dsnNotify: ['SOMETIMES'] }).dsnNotify).toMatch(/NEVER, SUCCESS, FAILURE, DELAY/)
    expect(errorsOf({ dsnNotify: ['SUCCESS', 'FAILURE', 'DELAY', 'NEVER'] }).dsnNotify).toBeDefined()
  })
  it('technicalSupport requires supportAddress', () => {
    expect(errorsOf({ technicalSupport: true }).supportAddress).toBe('supportAddress: is required when Technical Support is on')
    expect(accepts({ technicalSupport: true, supportAddress: 'support@vendor.example' })).toBe(true)
  })
  it('validates addresses', () => {
    for (const bad of ['not-an-address', 'Ops <ops@example.com>', 'ops@', '@example.com', 'a b@example.com', 'ops@exa mple.com', 'ops@-bad-.com'])
      expect(errorsOf({ fromAddress: bad }).fromAddress, bad).toMatch(/^fromAddress: must be an e-mail address/)
    for (const good of ['ops@example.com', 'root@localhost', 'a.b+tag@sub.example.org', 'ops@[192.0.2.1]', 'δοκιμή@παράδειγμα.δοκιμή', '"odd name"@example.com'])
      expect(accepts({ fromAddress: good }), good).toBe(true)
    expect(errorsOf({ supportAddress: 'support' }).supportAddress).toMatch(/must be an e-mail address/)
    expect(errorsOf({ fromAddress: `${'a'.repeat(65)}@example.com` }).fromAddress).toBeDefined()
  })
  it('validates host names and IP literals', () => {
    for (const good of ['smtp.example.com', 'localhost', '192.0.2.25', '2001:db8::25', 'münchen.example', 'smtp.example.com.'])
      expect(accepts({ host: good }), good).toBe(true)
    expect(errorsOf({ host: '[2001:db8::25]' }).host).toBe('host: write the IPv6 address without brackets')
    for (const bad of ['smtp example.com', 'smtp_.example.com', 'smtp.example.com:25', '-smtp.example.com', '999.1.1.1', '192.0.2', '25'])
      expect(errorsOf({ host: bad }).host, bad).toMatch(/^host: must be a host name/)
  })
  it('heloName is a domain or an address literal', () => {
    for (const good of ['appliance.example.com', '[192.0.2.1]', '[IPv6:2001:db8::1]'])
      expect(accepts({ heloName: good }), good).toBe(true)
    for (const bad of ['my appliance', '192.0.2.1]', '[300.1.1.1]', '[2001:db8::1]', '[IPv6:192.0.2.1]'])
      expect(errorsOf({ heloName: bad }).heloName, bad).toMatch(/^heloName: must be a domain name/)
  })
  it('XOAUTH2 needs a token URL and a client id', () => {
    const errors = errorsOf({ authEnabled: true, username: 'a@example.com', authMethod: 'XOAUTH2' })
    expect(errors['oauth2.tokenUrl']).toBe('oauth2.tokenUrl: is required when authMethod is XOAUTH2')
    expect(errors['oauth2.clientId']).toBe('oauth2.clientId: is required when authMethod is XOAUTH2')
    expect(accepts({
      authEnabled: true, username: 'a@example.com', authMethod: 'XOAUTH2',
      oauth2: { tokenUrl: 'https://login.example.com/token', clientId: 'app' },
    })).toBe(true)
  })
  it('the token URL is https (http only to loopback), without credentials or placeholders', () => {
    const tokenUrlError = (url: string) => errorsOf({ oauth2: { tokenUrl: url } })['oauth2.tokenUrl']
    expect(tokenUrlError('http://login.example.com/token')).toMatch(/must be an https:\/\/ URL/)
    expect(tokenUrlError('https://id:secret@login.example.com/token')).toMatch(/must not carry credentials/)
    expect(tokenUrlError('https://login.example.com/token#x')).toMatch(/fragment/)
    expect(tokenUrlError('https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token')).toMatch(/placeholder/)
    expect(tokenUrlError('not a url')).toMatch(/absolute https/)
    expect(tokenUrlError('http://127.0.0.1:8080/token')).toBeUndefined()
    expect(tokenUrlError('http://[::1]:8080/token')).toBeUndefined()
  })
  it('consoleUrl is http(s)', () => {
    expect(errorsOf({ consoleUrl: 'javascript:alert(1)' }).consoleUrl).toBe('consoleUrl: must be an http:// or https:// URL')
    expect(accepts({ consoleUrl: 'https://waf.example.com/console' })).toBe(true)
  })
  it('tlsCa must be PEM certificates', () => {
    expect(errorsOf({ tlsCa: 'not a certificate' }).tlsCa).toMatch(/^tlsCa: must be one or more PEM certificates/)
    expect(errorsOf({ tlsCa: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }).tlsCa).toBe(
      'tlsCa: certificate 1 is not a valid PEM certificate')
  })
  it('retry.maxDelayMs must not be below retry.minDelayMs', () => {
    expect(errorsOf({ retry: { minDelayMs: 60_000, maxDelayMs: 1000 } })['retry.maxDelayMs']).toMatch(/must not be less than retry\.minDelayMs/)
  })
  it('skips a rule when its field was already refused by the schema (one issue per field)', () => {
    const r = validateEmailSettings({ enabled: true, host: 42, username: 'a@example.com' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.filter((e) => e.field === 'host')).toHaveLength(1)
  })
})

describe('warnings', () => {
  const plain = { encryption: 'NONE', startTls: false }
  it('ehlo off with features that need EHLO extensions', () => {
    expect(warningsOf({ ...plain, ehlo: false, authEnabled: true, username: 'u' }).ehlo).toMatch(/AUTH \(Enable Auth\).*sending will fail/)
    expect(warningsOf({ ehlo: false, encryption: 'TLS' }).ehlo).toMatch(/STARTTLS.*sending will fail/)
    expect(warningsOf({ ehlo: false, encryption: 'NONE', startTls: true }).ehlo).toMatch(/STARTTLS/)
    expect(warningsOf({ ...plain, ehlo: false, dsnRet: 'FULL' }).ehlo).toMatch(/DSN/)
    expect(warningsOf({ ...plain, ehlo: false, dsnNotify: ['FAILURE'] }).ehlo).toMatch(/DSN/)
    expect(warningsOf({ ...plain, ehlo: false, eightBitMime: true }).ehlo).toMatch(/8BITMIME/)
    expect(warningsOf({ ...plain, ehlo: false }).ehlo).toBeUndefined()
    expect(warningsOf({ ehlo: false, encryption: 'SSL', port: 465 }).ehlo).toBeUndefined()
  })
  it('warnings do not make the settings invalid', () => {
    const r = validateEmailSettings({ ehlo: false, encryption: 'TLS' })
    expect(r.ok).toBe(true)
    expect(r.warnings.length).toBeGreaterThan(0)
  })
  it('probably the wrong port for the encryption', () => {
    expect(warningsOf({ encryption: 'SSL', port: 587 }).port).toMatch(/587 normally expects STARTTLS/)
    expect(warningsOf({ encryption: 'TLS', port: 465 }).port).toMatch(/465 normally expects implicit TLS/)
    expect(warningsOf({ encryption: 'NONE', startTls: false, port: 465 }).port).toMatch(/465/)
    expect(warningsOf({ encryption: 'TLS', port: 587 }).port).toBeUndefined()
    expect(warningsOf({ encryption: 'SSL', port: 465 }).port).toBeUndefined()
  })
  it('allowInsecureAuth on and tlsVerify off', () => {
    expect(warningsOf({ allowInsecureAuth: true }).allowInsecureAuth).toMatch(/unencrypted/)
    expect(warningsOf({ tlsVerify: false }).tlsVerify).toMatch(/not checked/)
    expect(warningsOf({})).toEqual({})
  })
  it('warnings come back with errors too', () => {
    const r = validateEmailSettings({ tlsVerify: false, port: 0 })
    expect(r.ok).toBe(false)
    expect(r.warnings.map((w) => w.field)).toEqual(['tlsVerify'])
  })
})
