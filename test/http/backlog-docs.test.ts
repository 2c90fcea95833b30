/**
 * The docs of the backlog limit and of the HTTP problem codes never drift from the code (fastify's
 * errors test, for our HTTP answers): docs/errors.md lists every code src/http answers with, at its
 * status, and the README's configuration table states the limits' variables and defaults.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BACKLOGS, DEFAULT_BACKLOG_LIMITS } from '../../src/http/backlog.js'

const root = new URL('../../', import.meta.url).pathname
const errorsDoc = readFileSync(join(root, 'docs/errors.md'), 'utf8')
const httpSection = errorsDoc.slice(errorsDoc.indexOf('## HTTP API problems'))
const documented = new Map([...httpSection.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
}

describe('docs of HTTP problems and the backlog limit', () => {
  it('docs/errors.md lists every problem code src/http answers with, at its status', () => {
    expect(httpSection.length).toBeGreaterThan(0)
    const thrown = new Map<string, number>()
    for (const text of sources(join(root, 'src/http'))) {
      for (const m of text.matchAll(/HttpProblem\((\d{3}), '(ERR_[A-Z_]+)'/g)) thrown.set(m[2]!, Number(m[1]))
      for (const m of text.matchAll(/build\((\d{3}), '(ERR_[A-Z_]+)'/g)) thrown.set(m[2]!, Number(m[1]))
    }
    thrown.set('ERR_QUEUE_FULL', 503)
    expect(thrown.size).toBeGreaterThan(5)
    for (const [code, status] of thrown) expect(documented.get(code), code).toBe(status)
  })

  it('the README states both limits with their defaults, and the 503 answer', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    for (const name of ['pendingEvents', 'queuedDeliveries'] as const) {
      expect(readme).toMatch(new RegExp(`\\| \`${BACKLOGS[name].env}\` \\| \`${DEFAULT_BACKLOG_LIMITS[name]}\` \\|`))
    }
    expect(readme).toMatch(/503.*ERR_QUEUE_FULL.*Retry-After/)
  })
})
