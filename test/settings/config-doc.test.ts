import { readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { EmailSettings, PROVIDER_PRESETS, renderConfigDoc } from '../../src/settings/index.js'

const DOC = new URL('../../docs/config.md', import.meta.url)

describe('docs/config.md', () => {
  it('is up to date with the settings schema (regenerate: ALERTMAIL_WRITE_DOCS=1 npx vitest run test/settings/config-doc.test.ts)', async () => {
    const expected = renderConfigDoc()
    if (process.env.ALERTMAIL_WRITE_DOCS === '1') await writeFile(DOC, expected)
    const actual = await readFile(DOC, 'utf8')
    expect(actual === expected, 'docs/config.md is stale: run ALERTMAIL_WRITE_DOCS=1 npx vitest run test/settings/config-doc.test.ts').toBe(true)
  })

  it('documents every field, with its UI label, and every preset', () => {
    const doc = renderConfigDoc()
    const walk = (props: Record<string, { title?: string; type?: string; properties?: Record<string, never> }>, prefix: string): void => {
      for (const [name, schema] of Object.entries(props)) {
        expect(doc).toContain(`\`${prefix}${name}\``)
        if (schema.title !== undefined) expect(doc).toContain(schema.title)
        if (schema.type === 'object') walk(schema.properties ?? {}, `${prefix}${name}.`)
      }
    }
    walk(EmailSettings.properties as never, '')
    for (const preset of PROVIDER_PRESETS) expect(doc).toContain(preset.settings.host)
    expect(doc).toContain('RFC 3461')
    expect(doc).not.toMatch(/DNS is a query/)
  })
})
