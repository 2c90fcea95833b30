/**
 * Measures the real round trip through the delay relay: sequential NOOP → 250 exchanges on their
 * own SMTP connection, sampled all through a case. The relay's timers have a 1 ms grain and a busy
 * machine delays them further, so the real round trip is above the nominal 2 × delay; the bench
 * reports each case against the bound at the round trip measured while it ran.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'

export class RttSampler {
  readonly #socket: net.Socket
  readonly #samples: number[] = []
  #waiter: (() => void) | undefined
  #buffered = ''
  #running = true
  #loop: Promise<void> = Promise.resolve()

  private constructor(socket: net.Socket) {
    this.#socket = socket
    socket.setNoDelay(true)
    socket.on('data', (d: Buffer) => {
      this.#buffered += d.toString('latin1')
      // A complete reply ends with a line whose code is followed by a space (RFC 5321 §4.2.1).
      if (/(^|\n)\d{3} [^\n]*\n$/.test(this.#buffered)) {
        this.#buffered = ''
        const w = this.#waiter
        this.#waiter = undefined
        w?.()
      }
    })
    socket.on('error', () => {
      this.#running = false
      this.#waiter?.()
    })
  }

  /** Connects through `port`, waits for the greeting, then samples every `intervalMs`. */
  static async start(port: number, intervalMs = 100): Promise<RttSampler> {
    const s = new RttSampler(net.connect({ host: '127.0.0.1', port }))
    await s.#reply()
    s.#loop = s.#run(intervalMs)
    return s
  }

  #reply(): Promise<void> {
    return new Promise((resolve) => (this.#waiter = resolve))
  }

  async #run(intervalMs: number): Promise<void> {
    while (this.#running) {
      const t0 = performance.now()
      const r = this.#reply()
      this.#socket.write('NOOP\r\n')
      await r
      if (!this.#running) break
      this.#samples.push(performance.now() - t0)
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  }

  /** Stops sampling, QUITs, and returns the round trips measured (ms). */
  async stop(): Promise<number[]> {
    this.#running = false
    await this.#loop
    this.#socket.end('QUIT\r\n')
    this.#socket.destroy()
    return [...this.#samples]
  }
}
