import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { classify, SMTP_ERROR_CODES, SMTP_ERRORS } from '../../src/smtp/index.js'

// fastify's test/internals/errors.test.js, for our codes: the doc and the union never drift.
const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
const rows = [...doc.matchAll(/^\| `(ERR_[A-Z_]+)` \| ([a-z ]+) \|/gm)].map((m) => ({ code: m[1]!, retry: m[2]! }))

describe('docs/errors.md', () => {
  it('lists every SmtpErrorCode exactly once, and nothing else', () => {
    expect(rows.map((r) => r.code).sort()).toEqual([...SMTP_ERROR_CODES].sort())
  })

  it('states the retry class the table in errors.ts applies', () => {
    for (const { code, retry } of rows) {
      const row = SMTP_ERRORS[code as keyof typeof SMTP_ERRORS]
      expect(retry, code).toBe(row.retry === 'by-reply' ? 'by reply' : row.retry)
      if (row.retry !== 'by-reply') expect(classify(code as keyof typeof SMTP_ERRORS)).toBe(row.retry)
    }
  })
})
