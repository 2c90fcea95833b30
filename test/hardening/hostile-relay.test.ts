/**
 * The client against a hostile relay (issue 6 §3): every scenario ends with the right SmtpError,
 * within a bounded time (a hard deadline far above socketTimeoutMs, never a speed assertion),
 * within bounded memory (generous heap/RSS growth bound), with no unhandled rejection, and under
 * encryption TLS never continues in clear text.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Worker, type Severity } from '../../src/outbox/index.js'
import { SmtpClient, SmtpError, sendWithReport, type SmtpOptions } from '../../src/smtp/index.js'
import { openStore, type AlertmailStore } from '../../src/store/index.js'
import { sinkSettings, waitFor, workerConfig } from '../outbox/sink.js'
import { startHostileSmtp, type HostileScenario, type HostileSmtp } from '../support/hostile-smtp.js'
import { ENVELOPE, MESSAGE, options } from '../smtp/helpers.js'

/** Each wait for a reply is bounded by this; the deadline below is 20× it. */
const SOCKET_TIMEOUT_MS = 1_500
const DEADLINE_MS = 30_000
/** Generous: the client must not buffer a 10 MB line or an endless reply (it stops at 256 KB). */
const MAX_HEAP_GROWTH = 48 * 1024 * 1024

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
})

let relay: HostileSmtp | undefined
afterEach(async () => {
  await relay?.close()
  relay = undefined
  // Give any stray promise a few turns to reject before we look.
  await new Promise((r) => setTimeout(r, 50))
  expect(unhandled).toEqual([])
})

/** connect → send → quit, as the pool and the CLI do; resolves with the error (or undefined). */
async function attempt(port: number, over: Partial<SmtpOptions> = {}): Promise<SmtpError | undefined> {
  const opts = options(port, { socketTimeoutMs: SOCKET_TIMEOUT_MS, connectionTimeoutMs: SOCKET_TIMEOUT_MS, ...over })
  const run = async (): Promise<SmtpError | undefined> => {
    let client: SmtpClient | undefined
    try {
      client = await SmtpClient.connect(opts)
      await client.send(ENVELOPE, MESSAGE)
      await client.quit()
      return undefined
    } catch (e) {
      client?.destroy()
      if (e instanceof SmtpError) return e
      throw e
    }
  }
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`client still running after ${DEADLINE_MS} ms: unbounded`)), DEADLINE_MS)
  })
  try {
    return await Promise.race([run(), deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Runs `fn` and returns how much heap and RSS grew (after GC when exposed). */
async function growth<T>(fn: () => Promise<T>): Promise<{ result: T; heap: number; rss: number }> {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const before = process.memoryUsage()
  let peakHeap = before.heapUsed
  let peakRss = before.rss
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakHeap = Math.max(peakHeap, m.heapUsed)
    peakRss = Math.max(peakRss, m.rss)
  }, 5)
  try {
    const result = await fn()
    return { result, heap: peakHeap - before.heapUsed, rss: peakRss - before.rss }
  } finally {
    clearInterval(sampler)
  }
}

/**
 * `code` lists the acceptable codes: a reply with the wrong code for its place (250 to DATA) is
 * reported by the client as the server refusing (ERR_SMTP_REJECTED, with the reply) or as a
 * protocol error; both are transient and both stop the transaction, which is what matters.
 */
const CASES: { scenario: HostileScenario; code: string | string[]; why: string; over?: Partial<SmtpOptions> }[] = [
  { scenario: 'endless-greeting', code: 'ERR_SMTP_PROTOCOL', why: 'a multi-line reply has a size limit (256 KB)' },
  { scenario: 'endless-ehlo', code: 'ERR_SMTP_PROTOCOL', why: 'a multi-line reply has a size limit (256 KB)' },
  { scenario: 'huge-line', code: 'ERR_SMTP_PROTOCOL', why: 'a reply line longer than 64 KB is garbage' },
  { scenario: 'wrong-greeting-code', code: ['ERR_SMTP_PROTOCOL', 'ERR_SMTP_REJECTED'], why: 'only 220 (or 421/554) greets' },
  { scenario: 'wrong-data-code', code: ['ERR_SMTP_PROTOCOL', 'ERR_SMTP_REJECTED'], why: 'DATA must be answered 354 before content' },
  { scenario: 'impossible-code', code: 'ERR_SMTP_PROTOCOL', why: '999 is not an SMTP reply code' },
  { scenario: 'slowloris', code: 'ERR_SMTP_TIMEOUT', why: 'bytes that never complete a reply do not reset socketTimeoutMs' },
  { scenario: 'slowloris-lines', code: 'ERR_SMTP_TIMEOUT', why: 'continuation lines that never end the reply do not reset socketTimeoutMs' },
]

describe('hostile relay: bounded failure with the right SmtpError', () => {
  for (const c of CASES) {
    it(`${c.scenario} → ${String(c.code)} (${c.why})`, async () => {
      relay = await startHostileSmtp(c.scenario, { dripMs: 20 })
      const port = relay.port
      const { result: err, heap } = await growth(() => attempt(port, c.over))
      expect(err, 'the session must fail').toBeInstanceOf(SmtpError)
      expect(typeof c.code === 'string' ? [c.code] : c.code, err?.message).toContain(err?.code)
      expect(err?.retry, 'a misbehaving relay is a transient problem: the alert waits, it is not dead-lettered').toBe('transient')
      // Message content goes out only after a 354 (RFC 5321 §4.1.1.4).
      expect(relay.connections.flatMap((k) => k.messages), 'message content sent without a 354').toEqual([])
      expect(heap, `heap grew ${(heap / 1048576).toFixed(1)} MB`).toBeLessThan(MAX_HEAP_GROWTH)
      // A failed or unknown transaction never claims success, and a broken session never goes on to MAIL twice.
      expect(relay.commands().filter((l) => /^MAIL/i.test(l)).length).toBeLessThanOrEqual(1)
    })
  }

  it('close-after-dot → ERR_SMTP_CLOSED after the whole message went out (outcome unknown, transient)', async () => {
    relay = await startHostileSmtp('close-after-dot')
    const err = await attempt(relay.port)
    expect(err?.code, err?.message).toBe('ERR_SMTP_CLOSED')
    expect(err?.retry).toBe('transient')
    expect(relay.connections[0]!.messages).toHaveLength(1)
  })

  it('a 10 MB reply line is cut off early: the client reads far less than the relay could send', async () => {
    relay = await startHostileSmtp('huge-line')
    const port = relay.port
    const err = await attempt(port)
    expect(err?.code).toBe('ERR_SMTP_PROTOCOL')
    await waitFor(() => relay!.connections[0]!.closed, 'the client to hang up')
    expect(relay.connections[0]!.bytesWritten).toBeLessThan(5 * 1024 * 1024)
  })

  it('replies before the command: never reports a message as sent on replies meant for nothing', async () => {
    relay = await startHostileSmtp('replies-before-command')
    const err = await attempt(relay.port)
    // The unsolicited 250s would answer EHLO, MAIL, RCPT and DATA ahead of time: a client that
    // consumed them would believe in a delivery the server never made. RFC 5321 §4.3.1: replies
    // follow commands; a reply nobody asked for is a protocol violation.
    expect(err, 'the session must fail, not succeed on stale replies').toBeInstanceOf(SmtpError)
    expect(err?.code).toBe('ERR_SMTP_PROTOCOL')
  })

  it('replies ahead of the commands (answers to MAIL/RCPT/DATA before they are sent): no delivery is claimed', async () => {
    relay = await startHostileSmtp('replies-ahead')
    const err = await attempt(relay.port)
    expect(err, 'the session must fail, not succeed on replies to commands never sent').toBeInstanceOf(SmtpError)
    expect(err?.code).toBe('ERR_SMTP_PROTOCOL')
  })
})

describe('hostile relay: TLS downgrade attempts under encryption TLS', () => {
  const tlsRequired: Partial<SmtpOptions> = {
    encryption: 'TLS',
    startTls: true,
    auth: { method: 'PLAIN', username: 'alerts@example.com', password: 'downgrade-secret-123' },
  }
  const cases: { scenario: HostileScenario; code: string }[] = [
    { scenario: 'starttls-refused', code: 'ERR_SMTP_TLS' },
    { scenario: 'starttls-stripped', code: 'ERR_SMTP_TLS' },
    { scenario: 'starttls-then-clear', code: 'ERR_SMTP_TLS' },
    { scenario: 'starttls-injection', code: 'ERR_SMTP_PROTOCOL' },
  ]
  for (const c of cases) {
    it(`${c.scenario}: fails with ${c.code}, never AUTH/MAIL in clear text, never the password on the wire`, async () => {
      relay = await startHostileSmtp(c.scenario)
      const err = await attempt(relay.port, tlsRequired)
      expect(err?.code, err?.message).toBe(c.code)
      const after = relay.commands().filter((l) => /^(AUTH|MAIL|RCPT|DATA)/i.test(l))
      expect(after, 'commands sent without encryption').toEqual([])
      expect(relay.commands().join('\n')).not.toContain(Buffer.from('downgrade-secret-123').toString('base64').slice(0, 12))
    })
  }

  it('sendWithReport (Send Test Mail) reports the downgrade as a failed starttls step, without throwing', async () => {
    relay = await startHostileSmtp('starttls-refused')
    const report = await sendWithReport(options(relay.port, { ...tlsRequired, socketTimeoutMs: SOCKET_TIMEOUT_MS }), ENVELOPE, MESSAGE)
    expect(report.ok).toBe(false)
    expect(report.error?.code).toBe('ERR_SMTP_TLS')
    expect(report.steps.some((s) => s.step === 'mail')).toBe(false)
  })
})

describe('hostile relay: closes after the final dot, through the outbox Worker', () => {
  let dir: string
  let store: AlertmailStore
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alertmail-hostile-'))
    store = await openStore({ dataDir: dir })
  })
  afterAll(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('marks the delivery unknown, retries it with the same Message-ID, and the delivery log says so', async () => {
    relay = await startHostileSmtp('close-after-dot', { dropFirst: 1 })
    const messageId = `<hostile.${process.pid}@appliance.test>`
    const severity: Severity = 'critical'
    const { deliveries } = await store.enqueue({ kind: 'alert', severity, groupKey: 'hostile', eventCount: 1, createdAt: new Date() }, [
      { recipient: 'oncall@example.test', messageId, subject: '[CRITICAL] hostile relay', text: 'x', html: '<p>x</p>' },
    ])
    const id = deliveries[0]!.id
    const worker = new Worker({ store, getConfig: () => workerConfig(sinkSettings(relay!, { socketTimeoutMs: SOCKET_TIMEOUT_MS })), pollIntervalMs: 20 })
    worker.start()
    try {
      await waitFor(async () => (await store.getDelivery(id))?.state === 'sent', 'sent on the retry')
    } finally {
      await worker.stop({ graceMs: 1_000 })
    }
    const d = await store.getDelivery(id)
    expect(d?.attemptLog.map((a) => a.outcome)).toEqual(['unknown', 'sent'])
    const ids = relay.connections.flatMap((c) => c.messages.map((m) => /^Message-ID:\s*(<[^>]+>)/im.exec(m.toString('latin1'))?.[1]))
    expect(ids).toEqual([messageId, messageId])
    // The log names what happened: the connection closed with no reply to the final dot.
    const first = d!.attemptLog[0]!
    expect(JSON.stringify(first)).toMatch(/ERR_SMTP_CLOSED|closed/i)
  })
})
