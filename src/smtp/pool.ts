import type { Capabilities } from './capabilities.js'
import { SmtpClient } from './client.js'
import { SmtpError } from './errors.js'
import { POOL_DEFAULTS, type Envelope, type SmtpOptions } from './options.js'
import { recipientsPerTransaction, type SendPlan } from './send-plan.js'
import { checkRecipientCount } from './transaction.js'
import type { MessageInput, SendOptions, SendResult } from './types.js'

interface Conn {
  readonly client: SmtpClient
  /** Messages handed to the client and not settled; 2 lets the next envelope ride along. */
  inFlight: number
  /** A liveness check is running: nothing may be pipelined behind it yet. */
  checking: boolean
  idleTimer: NodeJS.Timeout | undefined
}

interface Pending {
  readonly envelope: Envelope
  readonly message: MessageInput
  readonly signal: AbortSignal | undefined
  readonly resolve: (r: SendResult) => void
  readonly reject: (e: unknown) => void
  /** Already moved once off a connection that died under it. */
  retried: boolean
}

/** Messages queued on one busy connection: the one in flight plus one whose envelope rides along. */
const PIPELINE_DEPTH = 2

/**
 * Reused connections: up to maxConnections, each retired after maxMessagesPerConnection or
 * idleTimeoutMs idle. A connection taken from idle is checked first (NOOP, or RSET with userSet);
 * a dead one is replaced and the message goes on another without failing.
 *
 * @example
 * const pool = new SmtpPool(opts)
 * await pool.send({ from, to: [rcpt] }, raw)
 * await pool.close()
 */
export class SmtpPool {
  readonly #opts: SmtpOptions
  readonly #maxConnections: number
  readonly #maxMessages: number
  readonly #idleTimeoutMs: number
  readonly #conns = new Set<Conn>()
  readonly #idle: Conn[] = []
  readonly #queue: Pending[] = []
  #connecting = 0
  #connectFailed = false
  #closed = false
  readonly #drainWaiters: (() => void)[] = []
  #capsLookup: Promise<Capabilities> | undefined

  constructor(opts: SmtpOptions) {
    this.#opts = opts
    this.#maxConnections = Math.max(1, opts.maxConnections ?? POOL_DEFAULTS.maxConnections)
    this.#maxMessages = Math.max(1, opts.maxMessagesPerConnection ?? POOL_DEFAULTS.maxMessagesPerConnection)
    this.#idleTimeoutMs = opts.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs
  }

  /** Same contract as SmtpClient.send. */
  send(envelope: Envelope, message: MessageInput, opts: SendOptions = {}): Promise<SendResult> {
    if (this.#closed) return Promise.reject(new SmtpError('ERR_SMTP_ABORTED', 'the pool is closed'))
    const refusal = this.#refuse(envelope)
    if (refusal !== undefined) return Promise.reject(refusal)
    return new Promise<SendResult>((resolve, reject) => {
      this.#queue.push({ envelope, message, signal: opts.signal, resolve, reject, retried: false })
      this.#pump()
    })
  }

  /** An envelope no connection should be opened for (too many recipients, a bad recipient limit). */
  #refuse(envelope: Envelope): SmtpError | undefined {
    try {
      checkRecipientCount(envelope)
      recipientsPerTransaction(this.#opts)
      return undefined
    } catch (e) {
      if (e instanceof SmtpError) return e
      throw e
    }
  }

  /**
   * Capabilities of a live connection: to learn SIZE before splitting. Callers that arrive together
   * share one lookup, so a burst of sends that each ask first opens one connection for it, not one
   * each (a provider's connection limit would refuse the rest).
   */
  async capabilities(): Promise<Capabilities> {
    for (const c of this.#conns) if (c.client.alive) return c.client.capabilities
    if (this.#capsLookup === undefined) {
      const lookup = this.#openForCapabilities()
      this.#capsLookup = lookup
      void lookup.then(
        () => this.#forgetLookup(lookup),
        () => this.#forgetLookup(lookup),
      )
    }
    return this.#capsLookup
  }

  #forgetLookup(lookup: Promise<Capabilities>): void {
    if (this.#capsLookup === lookup) this.#capsLookup = undefined
  }

  async #openForCapabilities(): Promise<Capabilities> {
    const client = await SmtpClient.connect(this.#opts)
    const conn: Conn = { client, inFlight: 0, checking: false, idleTimer: undefined }
    this.#conns.add(conn)
    this.#release(conn)
    this.#pump()
    return client.capabilities
  }

  /** Finishes queued messages, then QUITs every connection. Later sends fail with ERR_SMTP_ABORTED. */
  async close(): Promise<void> {
    this.#closed = true
    if (!this.#drained()) await new Promise<void>((resolve) => this.#drainWaiters.push(resolve))
    await Promise.all([...this.#conns].map((c) => this.#retire(c)))
  }

  #pump(): void {
    const q = this.#queue
    while (q.length > 0 && this.#idle.length > 0) void this.#reuse(this.#idle.pop() as Conn, q.shift() as Pending)
    while (q.length > this.#connecting && this.#conns.size + this.#connecting < this.#maxConnections && (!this.#connectFailed || this.#conns.size === 0)) {
      this.#open()
    }
    if (q.length <= this.#connecting) return
    for (const conn of this.#conns) {
      if (q.length <= this.#connecting) break
      if (conn.inFlight > 0 && conn.inFlight < PIPELINE_DEPTH && !conn.checking && this.#usable(conn)) {
        this.#run(conn, q.shift() as Pending)
      }
    }
  }

  #open(): void {
    this.#connecting++
    SmtpClient.connect(this.#opts).then(
      (client) => {
        this.#connecting--
        this.#connectFailed = false
        const conn: Conn = { client, inFlight: 0, checking: false, idleTimer: undefined }
        this.#conns.add(conn)
        // A connection that just greeted us needs no liveness check.
        const next = this.#queue.shift()
        if (next !== undefined) this.#run(conn, next)
        else this.#release(conn)
        this.#pump()
        // close() may be waiting for this connect to settle (the queue emptied meanwhile).
        this.#notifyDrained()
      },
      (err: unknown) => {
        this.#connecting--
        this.#connectFailed = true
        // No live connection can carry the waiting messages: they fail with the reason now,
        // rather than each waiting out its own connect attempt against a server that is down.
        if (this.#conns.size === 0) for (const p of this.#queue.splice(0)) p.reject(err)
        this.#pump()
        this.#notifyDrained()
      },
    )
  }

  /** An idle connection: liveness check first; a dead one is replaced, the message waits. */
  async #reuse(conn: Conn, pending: Pending): Promise<void> {
    if (conn.idleTimer !== undefined) clearTimeout(conn.idleTimer)
    conn.inFlight++
    conn.checking = true
    conn.client.setRef(true)
    try {
      await conn.client.ping()
    } catch {
      conn.checking = false
      conn.inFlight--
      void this.#retire(conn)
      this.#queue.unshift(pending)
      this.#pump()
      return
    }
    conn.checking = false
    conn.inFlight--
    this.#run(conn, pending)
    this.#pump() // what queued up during the check may now ride behind this message
  }

  #run(conn: Conn, pending: Pending): void {
    conn.inFlight++
    conn.client.setRef(true)
    // Book-keeping happens before the caller hears back, so a caller that sends again at once
    // finds this connection idle (and liveness-checked), not busy.
    const settle = (): void => {
      conn.inFlight--
      if (conn.inFlight > 0) return
      // Work was waiting: the connection never went idle and just proved alive, so no check.
      const next = this.#usable(conn) ? this.#queue.shift() : undefined
      if (next !== undefined) this.#run(conn, next)
      else this.#release(conn)
    }
    const after = (): void => {
      this.#pump()
      this.#notifyDrained()
    }
    let plan: SendPlan
    try {
      plan = conn.client.prepare(pending.envelope, pending.message)
    } catch (e) {
      settle()
      pending.reject(e)
      after()
      return
    }
    conn.client.submit(plan, pending.signal).then(
      (result) => {
        settle()
        pending.resolve(result)
        after()
      },
      (e: unknown) => {
        settle()
        // The connection died before the end of data was written: nothing was delivered, so the
        // message moves to another connection once instead of failing.
        const movable = !plan.committed && !pending.retried && !conn.client.alive && pending.signal?.aborted !== true
        if (movable && e instanceof SmtpError && (e.code === 'ERR_SMTP_CLOSED' || e.code === 'ERR_SMTP_ABORTED' || e.code === 'ERR_SMTP_TIMEOUT')) {
          pending.retried = true
          this.#queue.unshift(pending)
        } else {
          pending.reject(e)
        }
        after()
      },
    )
  }

  #usable(conn: Conn): boolean {
    return conn.client.alive && conn.client.transactions < this.#maxMessages
  }

  #release(conn: Conn): void {
    if (!this.#usable(conn) || this.#closed) {
      void this.#retire(conn)
      return
    }
    if (this.#idleTimeoutMs > 0) {
      conn.idleTimer = setTimeout(() => void this.#retire(conn), this.#idleTimeoutMs)
      conn.idleTimer.unref()
    }
    conn.client.setRef(false)
    this.#idle.push(conn)
  }

  async #retire(conn: Conn): Promise<void> {
    if (!this.#conns.delete(conn)) return
    if (conn.idleTimer !== undefined) clearTimeout(conn.idleTimer)
    const i = this.#idle.indexOf(conn)
    if (i >= 0) this.#idle.splice(i, 1)
    conn.client.setRef(true) // let the QUIT finish even if nothing else is running
    await conn.client.quit()
  }

  #drained(): boolean {
    if (this.#queue.length > 0 || this.#connecting > 0) return false
    for (const c of this.#conns) if (c.inFlight > 0) return false
    return true
  }

  #notifyDrained(): void {
    if (this.#drainWaiters.length > 0 && this.#drained()) for (const w of this.#drainWaiters.splice(0)) w()
  }
}
