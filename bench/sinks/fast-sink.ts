/**
 * A minimal, fast SMTP sink for the bench (node:net only). It accepts every well-formed
 * transaction, counts messages and body bytes, and keeps no message content.
 *
 * It is still a correct peer for the parts the bench depends on:
 * - DATA bodies are dot-unstuffed and end at `CRLF . CRLF` (RFC 5321 §4.5.2, §4.1.1.4), even when
 *   the terminator is split across TCP reads;
 * - `BDAT n [LAST]` consumes exactly n octets, with no unstuffing (RFC 3030 §2, §4), and answers every
 *   chunk;
 * - replies to a pipelined group are written in one flush when the read buffer is drained
 *   (RFC 2920 §3.2), so `replyFlushes / messages` approximates round trips per message.
 * `minBodyBytes`/`maxBodyBytes` let the bench check that every message arrived with exactly the bytes
 * that were sent.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'

export interface SinkStats {
  connections: number
  messages: number
  /** Messages that arrived with DATA / with BDAT. */
  dataMessages: number
  bdatMessages: number
  recipients: number
  bodyBytes: number
  minBodyBytes: number
  maxBodyBytes: number
  protocolErrors: number
  /** Socket writes of reply batches: about one per client round trip. */
  replyFlushes: number
}

export interface FastSinkOptions {
  /** Advertise CHUNKING (BDAT) next to PIPELINING. */
  readonly chunking: boolean
  /**
   * Keep each body until it is complete and record when a message carrying the marker
   * `bnch<digits>z` was accepted (epoch ms), for event → relay latency. Off for throughput runs.
   */
  readonly trace?: boolean
}

/** [marker number, accepted at (epoch ms, sub-millisecond)] */
export type TraceEntry = readonly [number, number]

const MARKER = /bnch(\d+)z/

export function emptyStats(): SinkStats {
  return {
    connections: 0,
    messages: 0,
    dataMessages: 0,
    bdatMessages: 0,
    recipients: 0,
    bodyBytes: 0,
    minBodyBytes: Number.POSITIVE_INFINITY,
    maxBodyBytes: 0,
    protocolErrors: 0,
    replyFlushes: 0,
  }
}

const LF = 0x0a
const CR = 0x0d
const DOT = 0x2e
const EMPTY = Buffer.alloc(0)

type Mode = 'cmd' | 'data' | 'bdat'

export class FastSink {
  readonly #server: net.Server
  readonly #chunking: boolean
  readonly #trace: boolean
  #traces: TraceEntry[] = []
  readonly #sockets = new Set<net.Socket>()
  #stats: SinkStats = emptyStats()

  private constructor(opts: FastSinkOptions) {
    this.#chunking = opts.chunking
    this.#trace = opts.trace ?? false
    this.#server = net.createServer((socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
      this.#serve(socket)
    })
  }

  static async start(opts: FastSinkOptions, port = 0): Promise<FastSink> {
    const sink = new FastSink(opts)
    await new Promise<void>((resolve, reject) => {
      sink.#server.once('error', reject)
      sink.#server.listen(port, '127.0.0.1', () => resolve())
    })
    return sink
  }

  get port(): number {
    const addr = this.#server.address()
    if (addr === null || typeof addr === 'string') throw new Error('sink not listening')
    return addr.port
  }

  stats(): SinkStats {
    return { ...this.#stats }
  }

  reset(): void {
    this.#stats = emptyStats()
  }

  /** The traced messages since the last call. */
  takeTraces(): TraceEntry[] {
    const t = this.#traces
    this.#traces = []
    return t
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #serve(socket: net.Socket): void {
    const stats = (): SinkStats => this.#stats
    const chunking = this.#chunking
    const trace = this.#trace
    const traces = (): TraceEntry[] => this.#traces
    let parts: Buffer[] = []
    const keep = (b: Buffer): void => {
      if (trace) parts.push(b)
    }
    socket.setNoDelay(true)
    stats().connections++

    let mode: Mode = 'cmd'
    let pending = EMPTY
    let hasMail = false
    let rcpts = 0
    let body = 0
    let atLineStart = true
    let bdatLeft = 0
    let bdatLast = false
    let bdatFail = false
    let bdatTotal = 0
    let quitting = false
    let out = ''

    const resetTransaction = (): void => {
      parts = []
      hasMail = false
      rcpts = 0
      body = 0
      bdatTotal = 0
    }
    const finish = (viaBdat: boolean): void => {
      const s = stats()
      s.messages++
      if (viaBdat) s.bdatMessages++
      else s.dataMessages++
      s.recipients += rcpts
      s.bodyBytes += body
      if (body < s.minBodyBytes) s.minBodyBytes = body
      if (body > s.maxBodyBytes) s.maxBodyBytes = body
      out += `250 2.0.0 Ok: queued as ${s.messages}\r\n`
      if (trace) {
        const m = MARKER.exec(Buffer.concat(parts).toString('latin1'))
        if (m !== null) traces().push([Number(m[1]), performance.timeOrigin + performance.now()])
        parts = []
      }
      resetTransaction()
    }

    const command = (line: string): void => {
      const verb = line.slice(0, 4).toUpperCase()
      switch (verb) {
        case 'EHLO':
          out +=
            '250-sink.bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n' +
            (chunking ? '250-CHUNKING\r\n' : '') +
            '250 ENHANCEDSTATUSCODES\r\n'
          resetTransaction()
          return
        case 'HELO':
          out += '250 sink.bench\r\n'
          resetTransaction()
          return
        case 'MAIL':
          if (hasMail) {
            stats().protocolErrors++
            out += '503 5.5.1 Error: nested MAIL command\r\n'
            return
          }
          hasMail = true
          rcpts = 0
          body = 0
          parts = []
          out += '250 2.1.0 Ok\r\n'
          return
        case 'RCPT':
          if (!hasMail) {
            stats().protocolErrors++
            out += '503 5.5.1 Error: need MAIL command\r\n'
            return
          }
          rcpts++
          out += '250 2.1.5 Ok\r\n'
          return
        case 'DATA':
          if (!hasMail || rcpts === 0) {
            stats().protocolErrors++
            out += '503 5.5.1 Error: need RCPT command\r\n'
            return
          }
          out += '354 End data with <CR><LF>.<CR><LF>\r\n'
          mode = 'data'
          atLineStart = true
          body = 0
          return
        case 'BDAT': {
          // RFC 3030 §2: "BDAT" SP chunk-size [ SP end-marker ]
          const m = /^BDAT (\d+)( LAST)?\s*$/i.exec(line)
          if (!chunking || m === null) {
            stats().protocolErrors++
            out += '501 5.5.4 Syntax error in BDAT\r\n'
            return
          }
          bdatLeft = Number(m[1])
          bdatLast = m[2] !== undefined
          // RFC 3030 §4: the chunk is consumed even when the transaction is in error.
          bdatFail = !hasMail || rcpts === 0
          mode = 'bdat'
          return
        }
        case 'RSET':
          resetTransaction()
          out += '250 2.0.0 Ok\r\n'
          return
        case 'NOOP':
          out += '250 2.0.0 Ok\r\n'
          return
        case 'QUIT':
          out += '221 2.0.0 Bye\r\n'
          quitting = true
          return
        default:
          stats().protocolErrors++
          out += '502 5.5.2 Error: command not recognized\r\n'
      }
    }

    const consume = (buf: Buffer): number => {
      let pos = 0
      while (pos < buf.length && !quitting) {
        if (mode === 'cmd') {
          const nl = buf.indexOf(LF, pos)
          if (nl === -1) break
          const end = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl
          command(buf.toString('latin1', pos, end))
          pos = nl + 1
        } else if (mode === 'data') {
          if (atLineStart && buf[pos] === DOT) {
            if (buf.length - pos < 3) break // wait: '.', '.\r' could still be the terminator
            if (buf[pos + 1] === CR && buf[pos + 2] === LF) {
              pos += 3
              mode = 'cmd'
              finish(false)
              continue
            }
            pos += 1 // RFC 5321 §4.5.2: drop the stuffed dot
          }
          const nl = buf.indexOf(LF, pos)
          keep(buf.subarray(pos, nl === -1 ? buf.length : nl + 1))
          if (nl === -1) {
            body += buf.length - pos
            pos = buf.length
            atLineStart = false
          } else {
            body += nl + 1 - pos
            pos = nl + 1
            atLineStart = true
          }
        } else {
          const take = Math.min(bdatLeft, buf.length - pos)
          keep(buf.subarray(pos, pos + take))
          body += take
          bdatTotal += take
          pos += take
          bdatLeft -= take
          if (bdatLeft === 0) {
            mode = 'cmd'
            if (bdatFail) {
              stats().protocolErrors++
              out += '503 5.5.1 Error: need RCPT command\r\n'
              resetTransaction()
            } else if (bdatLast) {
              finish(true)
            } else {
              out += `250 2.0.0 ${bdatTotal} octets received\r\n`
            }
          }
        }
      }
      return pos
    }

    socket.on('data', (chunk: Buffer) => {
      const buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      const pos = consume(buf)
      // Copy the tail so the whole read buffer is not kept alive by a few bytes.
      pending = pos >= buf.length ? EMPTY : Buffer.from(buf.subarray(pos))
      if (out !== '') {
        stats().replyFlushes++
        socket.write(out)
        out = ''
      }
      if (quitting) socket.end()
    })
    socket.on('error', () => socket.destroy())
    socket.write('220 sink.bench ESMTP bench sink\r\n')
  }
}
