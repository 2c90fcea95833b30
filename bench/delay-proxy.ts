/**
 * A loopback TCP relay that holds every chunk for a fixed one-way delay in both directions, in
 * order: a stand-in for netem, which this kernel lacks. 10 ms each way gives a 20 ms round trip.
 *
 * Each direction is a FIFO with one timer for its head, so chunks leave in the order they came
 * and a burst written at once (a pipelined group) arrives as one burst after the delay. Bandwidth is
 * not limited; the bench only models latency.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'

export interface DelayProxyOptions {
  readonly upstreamHost: string
  readonly upstreamPort: number
  /** One-way delay added to each chunk, in each direction. */
  readonly delayMs: number
}

interface Held {
  readonly due: number
  /** null: the sender ended its side (FIN), forwarded after the same delay. */
  readonly data: Buffer | null
}

/** Forwards `from` → `to`, each chunk `delayMs` later than it was read. */
function delayLine(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: Held[] = []
  let head = 0
  let timer: NodeJS.Timeout | undefined

  const flush = (): void => {
    timer = undefined
    const now = performance.now()
    // A timer may fire a little early in fractional terms; half a millisecond is within its grain.
    while (head < queue.length && queue[head]!.due <= now + 0.5) {
      const item = queue[head++]!
      if (to.destroyed) continue
      if (item.data === null) to.end()
      else to.write(item.data)
    }
    if (head === queue.length) {
      queue.length = 0
      head = 0
    } else {
      schedule()
    }
  }
  const schedule = (): void => {
    const wait = Math.max(0, queue[head]!.due - performance.now())
    timer = setTimeout(flush, wait)
  }
  const hold = (data: Buffer | null): void => {
    queue.push({ due: performance.now() + delayMs, data })
    if (timer === undefined) schedule()
  }

  from.on('data', (chunk: Buffer) => hold(chunk))
  from.on('end', () => hold(null))
  from.on('close', () => {
    // Whatever is still held goes out first; only then is the other side torn down.
    if (timer === undefined && head === queue.length) to.destroy()
    else setTimeout(() => to.destroy(), delayMs + 5)
  })
}

export class DelayProxy {
  readonly #server: net.Server
  readonly #sockets = new Set<net.Socket>()

  private constructor(opts: DelayProxyOptions) {
    this.#server = net.createServer({ allowHalfOpen: true }, (client) => {
      const upstream = net.connect({ host: opts.upstreamHost, port: opts.upstreamPort, allowHalfOpen: true })
      for (const s of [client, upstream]) {
        s.setNoDelay(true)
        this.#sockets.add(s)
        s.on('close', () => this.#sockets.delete(s))
        s.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      delayLine(client, upstream, opts.delayMs)
      delayLine(upstream, client, opts.delayMs)
    })
  }

  static async start(opts: DelayProxyOptions, port = 0): Promise<DelayProxy> {
    const proxy = new DelayProxy(opts)
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject)
      proxy.#server.listen(port, '127.0.0.1', () => resolve())
    })
    return proxy
  }

  get port(): number {
    const addr = this.#server.address()
    if (addr === null || typeof addr === 'string') throw new Error('proxy not listening')
    return addr.port
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
