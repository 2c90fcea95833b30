/**
 * The whole service as `alertmail serve` wires it (createAlertmail, configured by ALERTMAIL_*
 * variables) over a real SQLite store in a temp data dir, driven through Fastify's inject with
 * the admin token. For tests of behaviour that lives in the wiring (backlog limits, retention).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { configFromEnv, createAlertmail, type Alertmail } from '../../src/app.js'
import { FailureLimiter } from '../../src/http/failure-limiter.js'
import { createLogger } from '../../src/http/logging.js'
import type { KyselyStore } from '../../src/store/kysely-store.js'
import { ADMIN_TOKEN } from './harness.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON under test
export type Json = any

export interface Response {
  readonly status: number
  readonly headers: Record<string, unknown>
  readonly json: Json
  readonly body: string
}

export interface Service {
  readonly am: Alertmail
  /** The service's log lines (pino JSON), in order. */
  readonly logs: string[]
  post(url: string, body: unknown): Promise<Response>
  put(url: string, body: unknown): Promise<Response>
  get(url: string): Promise<Response>
  /** Every event row, processed or not. */
  eventRows(): Promise<number>
  /** Stops the service; removes the data dir unless it was given. */
  close(): Promise<void>
}

export interface ServiceOptions {
  /** Run the notifier, worker and retention (default true); `am.start()` is still the caller's. */
  readonly background?: boolean
  /** An existing data dir, kept on close (to restart on the same database). */
  readonly dataDir?: string
  /** The service's clock runs this far ahead of the real one. */
  readonly clockOffsetMs?: number
  readonly retentionFirstDelayMs?: number
}

export async function startService(env: Record<string, string>, opts: ServiceOptions = {}): Promise<Service> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'alertmail-service-'))
  const logs: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'))
      cb()
    },
  })
  const offset = opts.clockOffsetMs ?? 0
  const am = await createAlertmail(
    { ...configFromEnv(env), dataDir, port: 0, adminToken: ADMIN_TOKEN, webRoot: join(dataDir, 'no-ui') },
    {
      logger: createLogger('info', stream),
      background: opts.background ?? true,
      print: () => {},
      authLimiter: new FailureLimiter({ maxFailures: 1000 }),
      ...(offset === 0 ? {} : { now: () => new Date(Date.now() + offset) }),
      ...(opts.retentionFirstDelayMs === undefined ? {} : { retentionFirstDelayMs: opts.retentionFirstDelayMs }),
    },
  )
  await am.app.ready()
  const inject = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown): Promise<Response> => {
    const res = await am.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
    let json: unknown
    try {
      json = JSON.parse(res.body)
    } catch {
      json = undefined
    }
    return { status: res.statusCode, headers: res.headers, json, body: res.body }
  }
  return {
    am,
    logs,
    post: (url, body) => inject('POST', url, body),
    put: (url, body) => inject('PUT', url, body),
    get: (url) => inject('GET', url),
    async eventRows() {
      const db = (am.store as unknown as KyselyStore).db
      const row = await db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },
    async close() {
      await am.stop()
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
