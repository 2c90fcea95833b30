/**
 * HTTP load for the service bench: one keep-alive client (node:http, lighter than fetch so the
 * load generator takes less of the two cores), a closed loop for maximum sustained rate and an
 * open loop at a fixed offered rate.
 */
import http from 'node:http'
import { performance } from 'node:perf_hooks'

export interface HttpReply {
  readonly status: number
  readonly text: string
}

export class KeepAliveClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  readonly #base: URL
  readonly #token: string

  constructor(base: string, token: string) {
    this.#base = new URL(base)
    this.#token = token
  }

  request(method: string, path: string, body?: string): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.#agent,
          host: this.#base.hostname,
          port: this.#base.port,
          method,
          path,
          headers: {
            authorization: `Bearer ${this.#token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}

export interface ClosedLoopResult {
  readonly requests: number
  readonly ok: number
  readonly errors: number
  readonly firstError?: string
  readonly seconds: number
}

/**
 * `concurrency` lanes post `body(i)` back to back for `seconds` after `warmupSeconds`; only
 * requests completed inside the measured window count.
 */
export async function closedLoop(
  client: KeepAliveClient,
  path: string,
  body: (i: number) => string,
  opts: { concurrency: number; seconds: number; warmupSeconds: number; okStatus: number },
): Promise<ClosedLoopResult> {
  const start = performance.now()
  const measureFrom = start + opts.warmupSeconds * 1000
  const end = measureFrom + opts.seconds * 1000
  let i = 0
  let requests = 0
  let ok = 0
  let errors = 0
  let firstError: string | undefined
  const lane = async (): Promise<void> => {
    while (performance.now() < end) {
      let status = 0
      let text: string
      try {
        const r = await client.request('POST', path, body(i++))
        status = r.status
        text = r.text
      } catch (err) {
        text = String(err)
      }
      const t = performance.now()
      if (t < measureFrom || t > end) continue
      requests++
      if (status === opts.okStatus) ok++
      else {
        errors++
        firstError ??= `${String(status)} ${text.slice(0, 300)}`
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, lane))
  return { requests, ok, errors, ...(firstError === undefined ? {} : { firstError }), seconds: opts.seconds }
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now()
}

/**
 * Posts `count` requests at `perSecond`, on schedule whatever the replies do (an open loop, so a slow
 * server shows as latency, not as a lower offered rate). Resolves with each request's start time.
 */
export async function openLoop(
  client: KeepAliveClient,
  path: string,
  body: (i: number) => string,
  opts: { perSecond: number; count: number },
): Promise<{ sentAt: number[]; errors: number; firstError?: string }> {
  const sentAt: number[] = []
  const inflight: Promise<void>[] = []
  let errors = 0
  let firstError: string | undefined
  const t0 = performance.now()
  for (let i = 0; i < opts.count; i++) {
    const due = t0 + (i * 1000) / opts.perSecond
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    sentAt[i] = epochMs()
    inflight.push(
      client.request('POST', path, body(i)).then(
        (r) => {
          if (r.status !== 202) {
            errors++
            firstError ??= `${String(r.status)} ${r.text.slice(0, 300)}`
          }
        },
        (err: unknown) => {
          errors++
          firstError ??= String(err)
        },
      ),
    )
  }
  await Promise.all(inflight)
  return { sentAt, errors, ...(firstError === undefined ? {} : { firstError }) }
}
