import { describe, expect, it } from 'vitest'
import { PROVIDER_PRESETS } from './presets.js'
import { validateEmailSettings } from './validate.js'

describe('PROVIDER_PRESETS', () => {
  it('has the six presets of issue 7', () => {
    expect(PROVIDER_PRESETS.map((p) => p.id)).toEqual(['gmail', 'microsoft-365', 'amazon-ses', 'sendgrid', 'mailgun', 'local-postfix'])
    expect(new Set(PROVIDER_PRESETS.map((p) => p.id)).size).toBe(PROVIDER_PRESETS.length)
  })
  for (const preset of PROVIDER_PRESETS) {
    it(`${preset.id}: applied to a form with an address it validates without errors or port warnings`, () => {
      const form = {
        enabled: true, username: 'alerts@example.com', fromAddress: 'alerts@example.com',
        ...preset.settings,
        oauth2: preset.settings.oauth2 === undefined
          ? undefined
          : { ...preset.settings.oauth2, tokenUrl: preset.settings.oauth2.tokenUrl.replace('<tenant-id>', 'contoso.onmicrosoft.com'), clientId: 'app-id' },
      }
      const r = validateEmailSettings(form)
      expect(r.ok ? [] : r.errors).toEqual([])
      expect(r.warnings).toEqual([])
    })
    it(`${preset.id}: the note cites a published number and a source`, () => {
      expect(preset.note).toMatch(/\d/)
      expect(preset.docsUrl).toMatch(/^https:\/\//)
      expect(preset.label.length).toBeGreaterThan(3)
    })
  }
  it('Microsoft 365 uses XOAUTH2 and its 30 messages/minute submission limit', () => {
    const m365 = PROVIDER_PRESETS.find((p) => p.id === 'microsoft-365')
    expect(m365?.settings.authMethod).toBe('XOAUTH2')
    expect(m365?.settings.rateLimitPerMinute).toBe(30)
    expect(m365?.settings.oauth2?.scope).toBe('https://outlook.office365.com/.default')
  })
  it('the Microsoft 365 token URL placeholder must be replaced before it validates', () => {
    const m365 = PROVIDER_PRESETS.find((p) => p.id === 'microsoft-365')
    const r = validateEmailSettings({ oauth2: { tokenUrl: m365?.settings.oauth2?.tokenUrl } })
    expect(r.ok).toBe(false)
  })
})
