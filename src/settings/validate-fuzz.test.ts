import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EmailSettings } from './schema.js'
import { validateEmailSettings } from './validate.js'

const KEYS = Object.keys(EmailSettings.properties)
const NESTED: Record<string, string[]> = {
  oauth2: ['tokenUrl', 'clientId', 'clientSecret', 'scope'],
  retry: ['maxAttempts', 'minDelayMs', 'maxDelayMs', 'factor', 'jitter', 'maxAgeMs'],
  templates: ['subject', 'text', 'html'],
}

/** Objects built from the real field names with arbitrary JSON values, nested ones included. */
const settingsLike = fc.dictionary(
  fc.constantFrom(...KEYS, 'unknownKey'),
  fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(...Object.keys(NESTED)).chain((k) => fc.dictionary(fc.constantFrom(...(NESTED[k] ?? []), 'x'), fc.jsonValue())),
  ),
)

describe('validateEmailSettings never throws', () => {
  it('on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (input) => {
      const r = validateEmailSettings(input)
      expect(typeof r.ok).toBe('boolean')
    }), { numRuns: 300 })
  })
  it('on objects of real field names with arbitrary values; every error names a field and starts with it', () => {
    fc.assert(fc.property(settingsLike, (input) => {
      const r = validateEmailSettings(input)
      if (!r.ok) {
        expect(r.errors.length).toBeGreaterThan(0)
        for (const e of r.errors) expect(e.message.startsWith(`${e.field === '' ? 'settings' : e.field}: `)).toBe(true)
      }
    }), { numRuns: 500 })
  })
  it('on null nested objects', () => {
    for (const key of Object.keys(NESTED)) {
      const r = validateEmailSettings({ [key]: null, authEnabled: true, authMethod: 'XOAUTH2', username: 'u' })
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.errors.map((e) => e.field)).toContain(key)
    }
  })
})
