import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { smtpOptionsFromSettings, validateEmailSettings } from '../../src/settings/index.js'
import { makeTestCerts } from '../support/certs.js'

const certs = makeTestCerts()
afterAll(() => {
  rmSync(certs.dir, { recursive: true, force: true })
})

describe('tlsCa with real certificates', () => {
  it('accepts a CA certificate and a bundle of several, and hands it to the SMTP options', () => {
    const one = validateEmailSettings({ tlsCa: certs.caPem })
    expect(one.ok).toBe(true)
    if (one.ok) expect(smtpOptionsFromSettings(one.value).tlsCa).toBe(certs.caPem)
    expect(validateEmailSettings({ tlsCa: `${certs.caPem}\n${certs.certPem}` }).ok).toBe(true)
  })
  it('names the certificate of a bundle that does not parse', () => {
    const broken = certs.certPem.replace(/(-----BEGIN CERTIFICATE-----\n)(.{10})/, '$1AAAAAAAAAA')
    const r = validateEmailSettings({ tlsCa: `${certs.caPem}${broken}` })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors).toEqual([{ field: 'tlsCa', message: 'tlsCa: certificate 2 is not a valid PEM certificate' }])
  })
  it('refuses a private key pasted by mistake', () => {
    const r = validateEmailSettings({ tlsCa: certs.keyPem })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors[0]?.message).toMatch(/must be one or more PEM certificates/)
    if (!r.ok) expect(r.errors[0]?.message).not.toContain('PRIVATE')
  })
})
