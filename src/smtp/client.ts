import type { Capabilities } from './capabilities.js'
import { SmtpError } from './errors.js'
import type { Envelope, SmtpOptions } from './options.js'
import { openSession } from './send.js'
import type { Session } from './session.js'
import type { Steps } from './steps.js'
import { recipientsPerTransaction, SendPlan } from './send-plan.js'
import { modeOf, prepareMessage, runTransaction, type Job, type Mode } from './transaction.js'
import type { MessageInput, SendOptions, SendResult, SessionContext, TlsInfo } from './types.js'

/** A message waiting on this connection (one or more transactions), with its caller's promise. */
interface QueuedJob {
  readonly kind: 'send'
  readonly plan: SendPlan
  readonly signal: AbortSignal | undefined
  resolve(r: SendResult): void
  reject(e: unknown): void
}

/** Any other use of the session (NOOP/RSET, QUIT): queued too, so only one reader ever waits. */
interface QueuedTask {
  readonly kind: 'task'
  run(): Promise<void>
  resolve(): void
  reject(e: unknown): void
}

/**
 * One SMTP connection: greeted, upgraded and authenticated by connect(). Messages sent while
 * another is in flight queue behind it and, with PIPELINING, their envelope travels with the
 * previous message's end of data (RFC 2920 §3.1).
 *
 * @example
 * const client = await SmtpClient.connect(opts)
 * try { await client.send({ from: 'a@example.com', to: ['b@example.com'] }, raw) } finally { await client.quit() }
 */
export class SmtpClient {
  readonly #session: Session
  readonly #opts: SmtpOptions
  readonly #caps: Capabilities
  readonly #mode: Mode
  readonly #steps: Steps
  readonly #queue: (QueuedJob | QueuedTask)[] = []
  #busy = false
  #transactions = 0
  /** The send whose transactions are running: its next one is pipelined first. */
  #current: SendPlan | undefined

  private constructor(session: Session, opts: SmtpOptions, caps: Capabilities, steps: Steps) {
    this.#session = session
    this.#opts = opts
    this.#caps = caps
    this.#mode = modeOf(opts, caps)
    this.#steps = steps
  }

  /** Connect, greeting, EHLO/HELO, STARTTLS, AUTH. Throws SmtpError. */
  static async connect(opts: SmtpOptions, ctx: SessionContext = {}): Promise<SmtpClient> {
    const { session, capabilities, steps } = await openSession(opts, ctx)
    return new SmtpClient(session, opts, capabilities, steps)
  }

  /** What the server advertised after TLS (RFC 3207 §4.2); all false for a HELO session. */
  get capabilities(): Capabilities {
    return this.#caps
  }

  get tls(): TlsInfo | undefined {
    return this.#session.tls
  }

  /** Usable for another message: not failed, not closing, no unsolicited reply pending. */
  get alive(): boolean {
    return this.#session.alive
  }

  /** Transactions started on this connection (for maxMessagesPerConnection). */
  get transactions(): number {
    return this.#transactions
  }

  /**
   * Sends one message. Refused recipients are returned in `rejected` while at least one is
   * accepted; otherwise throws SmtpError (ERR_SMTP_REJECTED with every refusal in `rejected`).
   * More than maxRecipientsPerMessage recipients go in several transactions merged into one
   * result (SendPlan); more than MAX_RECIPIENTS_PER_SEND are refused with ERR_SMTP_ENVELOPE.
   */
  async send(envelope: Envelope, message: MessageInput, opts: SendOptions = {}): Promise<SendResult> {
    return this.submit(this.prepare(envelope, message), opts.signal)
  }

  /** Formats and checks a message against this server (SIZE, 8BITMIME, SMTPUTF8, recipient count). Throws early. */
  prepare(envelope: Envelope, message: MessageInput): SendPlan {
    const perTransaction = recipientsPerTransaction(this.#opts)
    return new SendPlan(prepareMessage(envelope, message, this.#caps, this.#opts, this.#mode), perTransaction)
  }

  /** Queues a prepared send (the pool keeps the plan to know whether it was committed). */
  submit(plan: SendPlan, signal?: AbortSignal): Promise<SendResult> {
    const failure = this.#session.failure
    if (failure !== undefined) return Promise.reject(failure)
    if (signal?.aborted === true) return Promise.reject(new SmtpError('ERR_SMTP_ABORTED', 'operation aborted', { cause: signal.reason }))
    this.#transactions += plan.planned
    return new Promise<SendResult>((resolve, reject) => {
      this.#queue.push({ kind: 'send', plan, signal, resolve, reject })
      if (!this.#busy) void this.#drain()
    })
  }

  /** Liveness check (JavaMail isConnected): NOOP, or RSET with userSet. Throws when the connection is dead. */
  ping(): Promise<void> {
    return this.#task(async () => {
      const failure = this.#session.failure
      if (failure !== undefined) throw failure
      if (!this.#session.alive) throw new SmtpError('ERR_SMTP_CLOSED', 'connection is no longer usable')
      await this.#session.command(this.#opts.userSet ? 'RSET' : 'NOOP', 250, { code: 'ERR_SMTP_CLOSED' })
    })
  }

  /** QUIT after queued messages; waits for 221 with quitWait (bounded by socketTimeoutMs). Never throws. */
  async quit(): Promise<void> {
    try {
      await this.#task(async () => {
        const start = this.#steps.now()
        const reply = await this.#session.quit(this.#opts.quitWait)
        this.#steps.record('quit', start, true, reply)
      })
    } catch {
      this.#session.destroy()
    }
  }

  #task(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: 'task', run, resolve, reject })
      if (!this.#busy) void this.#drain()
    })
  }

  /** false: this idle connection alone does not keep the process running (pool use). */
  setRef(on: boolean): void {
    this.#session.setRef(on)
  }

  /** Closes at once; queued messages fail with ERR_SMTP_ABORTED. */
  destroy(): void {
    this.#session.destroy()
  }

  async #drain(): Promise<void> {
    this.#busy = true
    for (let q = this.#queue.shift(); q !== undefined; q = this.#queue.shift()) {
      if (q.kind === 'task') {
        try {
          await q.run()
          q.resolve()
        } catch (e) {
          q.reject(e)
        }
        continue
      }
      const failure = this.#session.failure
      if (failure !== undefined) {
        q.reject(failure)
        continue
      }
      if (q.signal?.aborted === true) {
        // Its MAIL/RCPT/DATA may already be on the wire behind the previous message (RFC 2920
        // §3.1), with a 354 to come: the session cannot be brought back in step, so it ends.
        if (q.plan.started) this.#session.destroy()
        q.reject(new SmtpError('ERR_SMTP_ABORTED', 'operation aborted', { cause: q.signal.reason }))
        continue
      }
      const unbind = this.#session.bindSignal(q.signal)
      try {
        q.resolve(await this.#deliver(q.plan))
      } catch (e) {
        q.reject(e)
      } finally {
        this.#current = undefined
        unbind()
      }
    }
    this.#busy = false
  }

  /** The transactions of one send, in turn; refusals are data (SendPlan), a broken session ends it. */
  async #deliver(plan: SendPlan): Promise<SendResult> {
    this.#current = plan
    let counted = plan.planned
    for (let job = plan.next(); job !== undefined; job = plan.next()) {
      try {
        plan.delivered(job, await runTransaction(this.#session, job, this.#mode, this.#steps, this.#takeNext))
      } catch (e) {
        // Session failures were published when they happened; refusals are published here.
        if (e !== this.#session.failure && e instanceof Error) this.#session.tracer.error(e)
        // A failed session ends the send (not `alive`: that is also false while the replies to
        // the next transaction's pipelined envelope wait to be read).
        if (this.#session.failure !== undefined) return plan.broken(e)
        plan.refused(job, e)
      } finally {
        // Deferred recipients made more transactions than planned: count them too.
        if (plan.built > counted) {
          this.#transactions += plan.built - counted
          counted = plan.built
        }
      }
    }
    return plan.result()
  }

  /** The next transaction to pipeline: the current send's next one, else the next queued message's first. */
  readonly #takeNext = (): Job | undefined => {
    if (this.#mode.chunking) return undefined // BDAT LAST already travels with MAIL/RCPT (RFC 3030 §4.2)
    const own = this.#current?.peek()
    if (own !== undefined) return own
    const next = this.#queue[0]
    if (next?.kind !== 'send' || next.signal?.aborted === true) return undefined
    return next.plan.peek()
  }
}
