/**
 * Faults in the service (issue 6 §4), PostgreSQL unavailable at start: a database that does not
 * exist, or a port where nothing listens. `alertmail serve` exits 1 promptly with one line on stderr
 * and no stack trace, so a supervisor (systemd, Kubernetes) sees a failed start and retries it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { PG_ADMIN_URLS } from '../support/pg.js'
import { assertBuilt, MAIN } from '../e2e/support.js'

const TOKEN = 'faults-pg-admin-token-0123456789ab'

/** A port on 127.0.0.1 where nothing listens (bound, read, closed). */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Runs `serve` to its exit (bounded) and returns the exit code and output. */
async function serveToExit(env: Record<string, string>, timeoutMs = 90_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  assertBuilt()
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', ALERTMAIL_HOST: '127.0.0.1', ALERTMAIL_PORT: '0', ALERTMAIL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? s ?? -1)))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

describe('faults: PostgreSQL unavailable at start', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  const cases = [
    ['a database that does not exist', async () => {
      const url = new URL(PG_ADMIN_URLS[0]!)
      url.pathname = `/alertmail_missing_${process.pid}_${Date.now()}`
      return url.toString()
    }],
    ['a port where nothing listens', async () => `postgres://postgres@127.0.0.1:${await deadPort()}/alertmail`],
  ] as const

  for (const [what, urlOf] of cases) {
    it(`exits non-zero with a one-line reason and no stack trace (${what})`, { timeout: 120_000 }, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'alertmail-faults-start-'))
      dirs.push(dataDir)
      const res = await serveToExit({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_DATABASE_URL: await urlOf(), ALERTMAIL_ADMIN_TOKEN: TOKEN })
      // A supervisor (systemd, Kubernetes) restarts a failed process; exiting is what it expects.
      expect(res.code, res.stderr).toBe(1)
      expect(res.stdout).not.toContain('alertmail listening')
      const lines = res.stderr.trim().split('\n')
      expect(lines, res.stderr).toHaveLength(1)
      // The line names the database (never the user or password) and the cause.
      expect(lines[0]).toMatch(/^alertmail: cannot open the postgres database 127\.0\.0\.1:\d+\/alertmail\w*: \S/)
      expect(res.stderr).not.toMatch(/\n\s+at /)
    })
  }
})
