/**
 * One alertmail per test file, wired exactly as `alertmail serve` wires it (createAlertmail), over a
 * real SQLite store in a fresh temp dir, with its log lines captured for secret searches.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { configFromEnv, createAlertmail, type Alertmail } from '../../src/app.js'
import { FailureLimiter } from '../../src/http/failure-limiter.js'
import { createLogger } from '../../src/http/logging.js'

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'

export interface Harness {
  readonly am: Alertmail
  readonly dataDir: string
  /** Every log line so far (JSON text). */
  readonly logs: string[]
  /** `app.inject` with the admin token unless `token` says otherwise (null: no header). */
  request(method: string, url: string, body?: unknown, token?: string | null): Promise<Reply>
  close(): Promise<void>
}

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | number | undefined>
  readonly body: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON under test
  readonly json: any
}

export async function startHarness(
  opts: { limiter?: FailureLimiter; background?: boolean; webRoot?: string; databaseUrl?: string; now?: () => Date } = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'alertmail-http-'))
  const logs: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'))
      cb()
    },
  })
  const config = {
    ...configFromEnv({}),
    dataDir,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webRoot: opts.webRoot ?? join(dataDir, 'no-ui'),
    databaseUrl: opts.databaseUrl,
  }
  const am = await createAlertmail(config, {
    logger: createLogger('trace', stream),
    background: opts.background ?? false,
    authLimiter: opts.limiter ?? new FailureLimiter({ maxFailures: 1000 }),
    print: () => {},
    ...(opts.now ? { now: opts.now } : {}),
  })
  await am.app.ready()
  return {
    am,
    dataDir,
    logs,
    async request(method, url, body, token = ADMIN_TOKEN) {
      const res = await am.app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
      let json: unknown
      try {
        json = res.body === '' ? undefined : JSON.parse(res.body)
      } catch {
        json = undefined
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, json }
    },
    async close() {
      await am.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
