/**
 * An in-process relay on smtp-server (port 0) that records every message by Message-ID, and can be
 * told to defer (4xx), refuse recipients (5xx) or hold DATA.
 */
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server'
import type { EmailSettings } from '../../src/settings/index.js'
import { defaultEmailSettings, smtpOptionsFromSettings } from '../../src/settings/index.js'
import type { WorkerConfig } from '../../src/outbox/index.js'

export interface SinkMessage {
  readonly messageId: string
  readonly from: string
  readonly to: readonly string[]
  readonly raw: string
}

export interface Sink {
  readonly port: number
  readonly messages: SinkMessage[]
  /** 'defer': every RCPT gets 451 4.3.0 (a relay outage). */
  mode: 'accept' | 'defer'
  /** Recipients refused with 550 5.1.1. */
  readonly refuse: Set<string>
  /** While set, DATA waits for this promise before answering. */
  hold: Promise<void> | undefined
  /** DATA transactions begun (before the hold). */
  dataStarted: number
  countByMessageId(): Map<string, number>
  close(): Promise<void>
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code })
}

export async function startSink(): Promise<Sink> {
  const sink: Sink = {
    port: 0,
    messages: [],
    mode: 'accept',
    refuse: new Set(),
    hold: undefined,
    dataStarted: 0,
    countByMessageId() {
      const m = new Map<string, number>()
      for (const msg of sink.messages) m.set(msg.messageId, (m.get(msg.messageId) ?? 0) + 1)
      return m
    },
    close: async () => {},
  }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    hideENHANCEDSTATUSCODES: false,
    logger: false,
    // Connections a test left open must not hold close() for smtp-server's default 30 s.
    closeTimeout: 1_000,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      if (sink.mode === 'defer') return callback(smtpError(451, '4.3.0 Relay temporarily unavailable'))
      if (sink.refuse.has(address.address)) return callback(smtpError(550, '5.1.1 No such user here'))
      callback()
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      sink.dataStarted++
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const finish = () => {
          const messageId = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw)?.[1] ?? '(none)'
          sink.messages.push({
            messageId,
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          })
          callback(null, `Ok: queued as ${sink.messages.length}`)
        }
        if (sink.hold === undefined) finish()
        else void sink.hold.then(finish)
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('sink did not bind')
  ;(sink as { port: number }).port = address.port
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return sink
}

/** Settings pointing at the sink, clear text, quick retries (tests only). */
export function sinkSettings(sink: { port: number }, over: Partial<EmailSettings> = {}): EmailSettings {
  return {
    ...defaultEmailSettings(),
    enabled: true,
    host: '127.0.0.1',
    port: sink.port,
    encryption: 'NONE',
    startTls: false,
    fromAddress: 'alertmail@appliance.test',
    fromName: 'Appliance',
    socketTimeoutMs: 20_000,
    connectionTimeoutMs: 10_000,
    retry: { maxAttempts: 50, minDelayMs: 20, maxDelayMs: 100, factor: 2, jitter: 0.2, maxAgeMs: 3_600_000 },
    ...over,
  }
}

export function workerConfig(settings: EmailSettings): WorkerConfig {
  return { settings, smtp: smtpOptionsFromSettings(settings) }
}

/** Polls `test` until it holds (no fixed sleeps in assertions); fails with `what` after `timeoutMs`. */
export async function waitFor(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await test()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
