/**
 * The second sink: the `smtp-server` package (PIPELINING, no CHUNKING), as used for the figures
 * quoted in issue 8. It is much heavier than FastSink, so it shows how a client behaves against a
 * slower, more typical server; it counts the same statistics.
 */
import { SMTPServer } from 'smtp-server'
import type { SinkStats } from './fast-sink.js'
import { emptyStats } from './fast-sink.js'

export class SmtpServerSink {
  readonly #server: SMTPServer
  #stats: SinkStats = emptyStats()
  #port = 0

  private constructor() {
    this.#server = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      hideSTARTTLS: true,
      size: 52428800,
      banner: 'bench smtp-server sink',
      onConnect: (_session, callback) => {
        this.#stats.connections++
        callback()
      },
      onData: (stream, session, callback) => {
        let bytes = 0
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length
        })
        stream.on('end', () => {
          const s = this.#stats
          s.messages++
          s.dataMessages++
          s.recipients += session.envelope.rcptTo.length
          s.bodyBytes += bytes
          if (bytes < s.minBodyBytes) s.minBodyBytes = bytes
          if (bytes > s.maxBodyBytes) s.maxBodyBytes = bytes
          callback()
        })
      },
    })
  }

  static async start(port = 0): Promise<SmtpServerSink> {
    const sink = new SmtpServerSink()
    await new Promise<void>((resolve, reject) => {
      sink.#server.once('error', reject)
      sink.#server.listen(port, '127.0.0.1', () => resolve())
    })
    const addr = sink.#server.server.address()
    if (addr === null || typeof addr === 'string') throw new Error('smtp-server sink not listening')
    sink.#port = addr.port
    return sink
  }

  get port(): number {
    return this.#port
  }

  stats(): SinkStats {
    return { ...this.#stats }
  }

  reset(): void {
    this.#stats = emptyStats()
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
