import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { assertBuilt, MAIN } from './support.js'

const run = promisify(execFile)

describe('alertmail migrate', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alertmail-migrate-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('creates the SQLite database, then reports it up to date', async () => {
    assertBuilt()
    const env = { PATH: process.env['PATH'] ?? '', ALERTMAIL_DATA_DIR: dataDir }
    const first = await run(process.execPath, [MAIN, 'migrate'], { env })
    expect(first.stdout).toMatch(/applied \d+ migration\(s\) to SQLite/)
    const second = await run(process.execPath, [MAIN, 'migrate'], { env })
    expect(second.stdout).toMatch(/is up to date/)
  })

  it('refuses an unsupported database URL with a one-line reason and status 1', async () => {
    const err = (await run(process.execPath, [MAIN, 'migrate'], { env: { PATH: process.env['PATH'] ?? '', ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_DATABASE_URL: 'mysql://x' } }).catch((e: unknown) => e)) as { code: number; stderr: string }
    expect(err.code).toBe(1)
    expect(err.stderr.trim().split('\n')).toHaveLength(1)
    expect(err.stderr).toMatch(/^alertmail migrate: /)
  })
})
