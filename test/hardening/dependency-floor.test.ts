/**
 * docs/security.md lists, for each runtime dependency with published advisories, the first
 * version that clears them all (npm audit cannot run against this registry: it answers 405).
 * This fails when package-lock.json resolves any of them below its floor, or when the table
 * loses a row for a package the service still depends on.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')

interface Floor {
  readonly name: string
  readonly floor: string
  readonly documentedLock: string
}

function floors(): Floor[] {
  const doc = readFileSync(join(ROOT, 'docs', 'security.md'), 'utf8')
  const rows: Floor[] = []
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim())
    // | package | floor | advisories | locked | use |
    if (cells.length < 6 || !/^\d+\.\d+\.\d+$/.test(cells[2] ?? '')) continue
    rows.push({ name: cells[1] ?? '', floor: cells[2] ?? '', documentedLock: cells[4] ?? '' })
  }
  return rows
}

function compare(a: string, b: string): number {
  const pa = a.split('-')[0]!.split('.').map(Number)
  const pb = b.split('-')[0]!.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

describe('runtime dependencies are at or above their advisory floors (docs/security.md)', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dev?: boolean }> }
  const table = floors()

  it('the table has the five packages with advisories', () => {
    expect(table.map((f) => f.name).sort()).toEqual(['@fastify/static', 'fastify', 'find-my-way', 'liquidjs', 'nodemailer'])
  })

  it('compare() orders versions numerically', () => {
    expect(compare('10.30.1', '10.27.2')).toBeGreaterThan(0)
    expect(compare('9.1.0', '9.1.1')).toBeLessThan(0)
    expect(compare('5.12.2', '5.12.2')).toBe(0)
  })

  for (const { name, floor, documentedLock } of table) {
    it(`${name} ≥ ${floor} everywhere in the lock file, and the table's "locked" column is current`, () => {
      const installs = Object.entries(lock.packages).filter(([path, p]) => path.endsWith(`node_modules/${name}`) && p.dev !== true)
      expect(installs.length, `${name} is not a runtime dependency any more: drop its row`).toBeGreaterThan(0)
      for (const [path, p] of installs) {
        expect(compare(p.version ?? '0.0.0', floor), `${path} ${p.version} is below the advisory floor ${floor}`).toBeGreaterThanOrEqual(0)
      }
      expect(installs.map(([, p]) => p.version)).toContain(documentedLock)
    })
  }
})
