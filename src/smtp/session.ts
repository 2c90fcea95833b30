import type net from 'node:net'
import tls from 'node:tls'
import type { Tracer } from './diagnostics.js'
import { SmtpError, type SmtpErrorCode } from './errors.js'
import type { SmtpOptions } from './options.js'
import { END_OF_DATA } from './data-stream.js'
import { expectReply, formatReply, parseReplies, verbOf, type Reply } from './reply.js'
import type { TlsInfo } from './types.js'
import { connectSocket, describeTls, handshake, tlsInfo, tlsOptions } from './connect.js'

/** One command line as sent, and the form the transcript sees (AUTH payloads redacted). */
export interface Line {
  readonly line: string
  readonly redacted?: string | undefined
}

export interface ExpectOptions {
  readonly redacted?: string | undefined
  /** The code to throw with on an unexpected reply; default ERR_SMTP_REJECTED. */
  readonly code?: SmtpErrorCode | undefined
}

/** A QUIT must not hold a closing pool forever even when socketTimeoutMs is 0 (disabled). */
const QUIT_FALLBACK_MS = 10_000
const CRLF = '\r\n'

type Waiter = { readonly n: number; readonly got: Reply[]; resolve(r: Reply[]): void; reject(e: SmtpError): void }

/**
 * The only thing in smtp/ that touches a socket (STYLE.md §2.4): connect, read replies, write
 * lines. It knows nothing of the conversation's order; send.ts does.
 */
export class Session {
  readonly tracer: Tracer
  readonly #opts: SmtpOptions
  #socket: net.Socket
  #rest: Buffer = Buffer.alloc(0)
  #queue: Reply[] = []
  #waiter: Waiter | undefined
  #failure: SmtpError | undefined
  #timer: NodeJS.Timeout | undefined
  #encrypted: boolean
  #closing = false
  /**
   * Replies the server still owes: the greeting, one per command line, one per end of data.
   * RFC 5321 §4.3.1 / RFC 2920 §3.1: a reply only ever answers a command, so one beyond this count
   * was never asked for; taking it as the answer to a later command would desynchronise the
   * session (a 250 "for" a DATA never sent). 421 is the one reply a server may send unasked
   * (§3.8); it is queued, which makes the session not `alive`.
   */
  #owed = 1
  /** Taken once the handshake is done: the socket forgets its cipher when destroyed. */
  #tls: TlsInfo | undefined

  private constructor(socket: net.Socket, opts: SmtpOptions, tracer: Tracer) {
    this.#socket = socket
    this.#opts = opts
    this.tracer = tracer
    this.#encrypted = socket instanceof tls.TLSSocket
    if (socket instanceof tls.TLSSocket) this.#tls = tlsInfo(socket)
    this.#attach(socket)
  }

  /** TCP connect (or implicit TLS, RFC 8314 §3.3) within connectionTimeoutMs, then the greeting. */
  static async open(opts: SmtpOptions, tracer: Tracer, signal?: AbortSignal): Promise<Session> {
    const implicit = opts.encryption === 'SSL'
    const socket = await connectSocket(opts, implicit, signal)
    tracer.connect(opts.host, opts.port, implicit)
    const session = new Session(socket, opts, tracer)
    if (implicit) session.tracer.event(describeTls(socket as tls.TLSSocket))
    return session
  }

  get encrypted(): boolean {
    return this.#encrypted
  }

  /** The negotiated TLS, if any; still answers after quit() or destroy(). */
  get tls(): TlsInfo | undefined {
    return this.#tls
  }

  /** Usable for another command: not failed, not closing, and no unsolicited reply waiting (a 421 at idle). */
  get alive(): boolean {
    return this.#failure === undefined && !this.#closing && this.#queue.length === 0 && !this.#socket.destroyed
  }

  get failure(): SmtpError | undefined {
    return this.#failure
  }

  /** Writes lines in one socket write (RFC 2920 batching when more than one). */
  write(lines: readonly Line[]): void {
    for (const l of lines) assertOneLine(l.line)
    let data = ''
    for (const l of lines) {
      this.tracer.command(l.redacted ?? l.line)
      data += l.line + CRLF
    }
    this.#owed += lines.length
    this.#send(data)
  }

  /** Starts a batch: lines and message bytes that go out in one writev (RFC 2920 §3.1 groups). */
  batch(): Batch {
    return new Batch(this)
  }

  /** Writes strings and buffers with one cork/uncork; `owed` replies are due for them. Used by Batch. */
  writeParts(parts: readonly (string | Buffer)[], owed: number): void {
    if (this.#failure !== undefined) return
    this.#owed += owed
    const socket = this.#socket
    if (parts.length === 1) {
      socket.write(parts[0] as string | Buffer)
      return
    }
    socket.cork()
    for (const p of parts) socket.write(p)
    socket.uncork()
  }

  /** An idle pooled connection must not keep the process alive on its own. */
  setRef(on: boolean): void {
    if (on) this.#socket.ref()
    else this.#socket.unref()
  }

  get localAddress(): string | undefined {
    return this.#socket.localAddress
  }

  /** Reads the next `n` replies, each within socketTimeoutMs. */
  read(n: number): Promise<Reply[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (this.#queue.length >= n) return Promise.resolve(this.#queue.splice(0, n))
    // One reader at a time is the client's invariant (its queue); break loudly rather than hang.
    if (this.#waiter !== undefined) return Promise.reject(new SmtpError('ERR_SMTP_PROTOCOL', 'internal: concurrent reads on one session'))
    return new Promise<Reply[]>((resolve, reject) => {
      this.#waiter = { n, got: this.#queue.splice(0), resolve, reject }
      this.#arm()
    })
  }

  async readOne(): Promise<Reply> {
    const [reply] = await this.read(1)
    return reply as Reply
  }

  /** Sends one line and returns the reply whatever its code (AUTH exchanges). */
  async exchange(line: string, redacted?: string): Promise<Reply> {
    this.write([{ line, redacted }])
    return this.readOne()
  }

  /** emailjs's one primitive, async: write, read one reply, check its code. */
  async command(line: string, expect: number | readonly number[], opts: ExpectOptions = {}): Promise<Reply> {
    const reply = await this.exchange(line, opts.redacted)
    return expectReply(reply, expect, verbOf(opts.redacted ?? line), opts.code)
  }

  /** RFC 3207: after 220 to STARTTLS, the handshake; the caller then forgets capabilities. */
  async upgradeTls(): Promise<void> {
    // RFC 3207 §5 / CVE-2011-0411: anything the server sent before the handshake is injected.
    if (this.#rest.length > 0 || this.#queue.length > 0) {
      throw this.#fail(new SmtpError('ERR_SMTP_PROTOCOL', 'server sent data before the TLS handshake (STARTTLS injection)'))
    }
    const plain = this.#socket
    this.#detach(plain)
    const secure = tls.connect({ ...tlsOptions(this.#opts), socket: plain })
    this.#socket = secure
    try {
      await handshake(secure, this.#opts.socketTimeoutMs, true)
    } catch (e) {
      secure.destroy()
      throw this.#fail(e as SmtpError)
    }
    this.#encrypted = true
    this.#tls = tlsInfo(secure)
    this.#attach(secure)
    this.tracer.event(describeTls(secure))
  }

  /** QUIT; with `wait`, the 221 (bounded by socketTimeoutMs). Never throws; returns the reply if read. */
  async quit(wait: boolean): Promise<Reply | undefined> {
    if (this.#failure !== undefined || this.#closing) {
      this.destroy()
      return undefined
    }
    this.#closing = true
    this.write([{ line: 'QUIT' }])
    let reply: Reply | undefined
    if (wait) {
      try {
        reply = await this.readOne()
      } catch {
        // a server that drops the connection instead of 221 has still let us go
      }
    }
    this.#end()
    return reply
  }

  /** Closes at once; pending reads reject with ERR_SMTP_ABORTED. */
  destroy(): void {
    this.#closing = true
    this.#fail(new SmtpError('ERR_SMTP_ABORTED', 'connection closed by the client'))
  }

  /** Cancels whatever is pending when `signal` aborts; returns the unsubscribe function. */
  bindSignal(signal: AbortSignal | undefined): () => void {
    if (signal === undefined) return noop
    const onAbort = () => this.#fail(new SmtpError('ERR_SMTP_ABORTED', 'operation aborted', { cause: signal.reason }))
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    return () => signal.removeEventListener('abort', onAbort)
  }

  /** Fails the session (idempotent) and returns the error that the session failed with. */
  #fail(error: SmtpError): SmtpError {
    if (this.#failure !== undefined) return this.#failure
    this.#failure = error
    if (!this.#closing) this.tracer.error(error)
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#socket.destroy()
    const w = this.#waiter
    this.#waiter = undefined
    w?.reject(error)
    return error
  }

  #send(data: string): void {
    if (this.#failure === undefined) this.#socket.write(data)
  }

  #end(): void {
    this.#closing = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    const socket = this.#socket
    // Nothing after QUIT concerns us (quitWait off: the 221 is deliberately not read).
    this.#detach(socket)
    socket.on('error', noop)
    socket.end()
    // destroySoon semantics: give the FIN a moment, then release the descriptor.
    setTimeout(() => socket.destroy(), 1000).unref()
  }

  /** One timer per session, refreshed per wait: no allocation per reply. */
  #arm(): void {
    const ms = this.#closing && this.#opts.socketTimeoutMs === 0 ? QUIT_FALLBACK_MS : this.#opts.socketTimeoutMs
    if (ms <= 0) return
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#onTimeout(), ms)
      this.#timer.unref()
    } else {
      this.#timer.refresh()
    }
  }

  #onTimeout(): void {
    if (this.#waiter === undefined) return
    if (this.#closing) {
      this.#fail(new SmtpError('ERR_SMTP_TIMEOUT', 'no reply to QUIT'))
      return
    }
    this.#fail(new SmtpError('ERR_SMTP_TIMEOUT', `no reply within socketTimeoutMs (${this.#opts.socketTimeoutMs} ms)`))
  }

  readonly #onData = (chunk: Buffer): void => {
    let parsed: { replies: Reply[]; rest: Buffer }
    try {
      parsed = parseReplies(this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]))
    } catch (e) {
      this.#fail(e as SmtpError)
      return
    }
    this.#rest = parsed.rest
    for (const reply of parsed.replies) {
      this.tracer.reply(reply)
      if (this.#owed > 0) this.#owed--
      else if (reply.code !== 421) {
        this.#fail(new SmtpError('ERR_SMTP_PROTOCOL', `unsolicited reply (no command was waiting for it, RFC 5321 §4.3.1): ${formatReply(reply)}`, { reply }))
        return
      }
      const w = this.#waiter
      if (w === undefined) {
        this.#queue.push(reply)
        continue
      }
      w.got.push(reply)
      if (w.got.length === w.n) {
        this.#waiter = undefined
        w.resolve(w.got)
      } else {
        this.#arm()
      }
    }
  }

  readonly #onError = (err: Error): void => {
    this.#fail(new SmtpError('ERR_SMTP_CLOSED', `connection error: ${err.message}`, { cause: err }))
  }

  readonly #onClose = (): void => {
    this.#fail(new SmtpError('ERR_SMTP_CLOSED', 'connection closed by the server'))
  }

  #attach(socket: net.Socket): void {
    socket.on('data', this.#onData)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
  }

  #detach(socket: net.Socket): void {
    socket.off('data', this.#onData)
    socket.off('error', this.#onError)
    socket.off('close', this.#onClose)
  }
}

function noop(): void {}

/**
 * Last line of defence against command injection (RFC 5321 §2.3.8, §4.1.1): whatever a caller
 * formatted, a command line never carries CR, LF or NUL, so it can never become two commands.
 * Thrown before anything is written, so the session stays in step.
 */
function assertOneLine(line: string): void {
  if (/[\r\n\0]/.test(line)) {
    throw new SmtpError('ERR_SMTP_CONFIG', `refusing to send a command line containing CR, LF or NUL: ${JSON.stringify(line.slice(0, 40))}`)
  }
}

/** Lines (traced in their redacted form) and message bytes, written together by flush(). */
export class Batch {
  readonly #session: Session
  readonly #parts: (string | Buffer)[] = []
  #text = ''
  /** Replies these parts will be owed; added to the session's count only when written. */
  #owed = 0

  constructor(session: Session) {
    this.#session = session
  }

  line(line: string, redacted?: string): this {
    assertOneLine(line)
    this.#session.tracer.command(redacted ?? line)
    this.#text += line + CRLF
    this.#owed++
    return this
  }

  bytes(bytes: Buffer, describe = true): this {
    if (describe) this.#session.tracer.event(`${bytes.length} bytes of message data`)
    if (this.#text !== '') this.#parts.push(this.#text)
    this.#text = ''
    this.#parts.push(bytes)
    return this
  }

  /** RFC 5321 §4.1.1.4: `.CRLF` after the (dot-stuffed) content; the server owes one reply for it. */
  endOfData(): this {
    this.bytes(END_OF_DATA, false)
    this.#owed++
    return this
  }

  flush(): void {
    if (this.#text !== '') this.#parts.push(this.#text)
    this.#text = ''
    this.#session.writeParts(this.#parts, this.#owed)
    this.#parts.length = 0
    this.#owed = 0
  }
}

