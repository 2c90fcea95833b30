import { SmtpError, type RejectedRecipient } from './errors.js'
import { DEFAULT_MAX_RECIPIENTS_PER_MESSAGE, type SmtpOptions } from './options.js'
import type { Reply } from './reply.js'
import { summarize, transactionOf, type Job, type PreparedMessage } from './transaction.js'
import type { SendResult } from './types.js'

/** maxRecipientsPerMessage, checked: an integer ≥ 1 (the settings schema bounds it to 1–1000). */
export function recipientsPerTransaction(opts: SmtpOptions): number {
  const n = opts.maxRecipientsPerMessage ?? DEFAULT_MAX_RECIPIENTS_PER_MESSAGE
  if (!Number.isInteger(n) || n < 1) {
    throw new SmtpError('ERR_SMTP_CONFIG', `maxRecipientsPerMessage must be an integer of at least 1, got ${String(n)}`)
  }
  return n
}

/**
 * One send() as a series of transactions of the same message (RFC 5321 §4.5.3.1.8: a server need
 * only buffer 100 recipients, so bigger envelopes are split), merged into one SendResult:
 *
 * - `accepted`: every recipient some transaction delivered to (its end of data got 250).
 * - `rejected`: every other recipient with the reply that refused it — its own RCPT reply; the
 *   MAIL, DATA or end-of-data reply when its whole transaction was refused; the "no room" reply
 *   when the server stopped taking recipients (below); or, when the connection was lost after
 *   some transaction succeeded, the server's last words or a 451 4.4.2 of ours (RFC 5321 §3.8:
 *   a client treats a lost connection as a 451), whose text says so.
 * - `reply`: the end-of-data reply of the last transaction the server accepted.
 *
 * A 452/552 "too many recipients" (isTooManyRecipients) is not a refusal: those recipients open the
 * next transaction (RFC 5321 §4.5.3.1.10), and later transactions are no larger than the last one
 * the server filled. Bounded: a transaction that accepts nobody ends the send, the recipients
 * still waiting become rejected with the server's reply. Every other transaction settles at least
 * one recipient, so a send never takes more transactions than it has recipients.
 *
 * Throws only when no recipient was accepted: a single transaction's own error as before;
 * otherwise one error of the most retryable failure's code, with every refusal in `rejected`.
 */
export class SendPlan {
  readonly #message: PreparedMessage
  #size: number
  /** Envelope positions still to send: deferred ones first (in order), then the untried. */
  #todo: number[]
  /** Transactions the envelope needs if no recipient is deferred (for maxMessagesPerConnection). */
  readonly planned: number
  #built = 0
  /** The transaction in flight; its RCPT outcome is taken into #todo once. */
  #current: Job | undefined
  #absorbed = false
  /** The next transaction, built early: its envelope rides behind the current end of data. */
  #ahead: Job | undefined
  #committed = false
  #reply: Reply | undefined
  readonly #accepted: string[] = []
  readonly #rejected: RejectedRecipient[] = []
  readonly #failures: SmtpError[] = []

  constructor(message: PreparedMessage, maxRecipientsPerMessage: number) {
    this.#message = message
    this.#size = maxRecipientsPerMessage
    this.#todo = message.envelope.to.map((_, i) => i)
    this.planned = Math.ceil(this.#todo.length / maxRecipientsPerMessage)
  }

  /** Transactions built so far (more than `planned` when the server deferred recipients). */
  get built(): number {
    return this.#built
  }

  /** Some end of data was written: moving the send to another connection could deliver twice. */
  get committed(): boolean {
    return this.#committed || this.#current?.committed === true || this.#ahead?.committed === true
  }

  /** The first transaction's envelope already went out pipelined: it must be played out. */
  get started(): boolean {
    return this.#built > 0
  }

  /** The next transaction to run, or undefined when the send is settled. */
  next(): Job | undefined {
    let job = this.#ahead
    this.#ahead = undefined
    if (job === undefined) {
      this.#absorb()
      job = this.#build()
    }
    this.#current = job
    this.#absorbed = false
    return job
  }

  /**
   * The next transaction, built now so its envelope can follow the current end of data (RFC 2920
   * §3.1). Called once the current RCPT replies are read: whatever the end-of-data reply will be,
   * the deferred recipients go next.
   */
  peek(): Job | undefined {
    if (this.#ahead === undefined) {
      this.#absorb()
      this.#ahead = this.#build()
    }
    return this.#ahead
  }

  /** The transaction was delivered. */
  delivered(job: Job, result: SendResult): void {
    this.#absorb()
    this.#accepted.push(...result.accepted)
    this.#rejected.push(...result.rejected)
    this.#reply = result.reply
    this.#settle(job)
  }

  /** The server refused the transaction (MAIL, every RCPT, DATA or the end of data); the session is fine. */
  refused(job: Job, error: unknown): void {
    const e = asSmtpError(error)
    this.#failures.push(e)
    const rcpt = job.rcpt
    if (rcpt === undefined) {
      // MAIL (or something before the RCPT replies) refused: the whole batch with that reply.
      const reply = e.reply ?? lostReply(e)
      for (const r of job.to) this.#rejected.push({ recipient: r, reply })
    } else if (rcpt.accepted.length === 0 && rcpt.deferred.length > 0) {
      // The server took nobody, for lack of room: trying again in this send could go on forever.
      this.#rejected.push(...rcpt.rejected)
      for (const d of rcpt.deferred) this.#rejected.push({ recipient: job.to[d.at] as string, reply: d.reply })
      const reply = (rcpt.deferred[0] as { reply: Reply }).reply
      for (const i of this.#todo.splice(0)) this.#rejected.push({ recipient: this.#message.envelope.to[i] as string, reply })
      this.#absorbed = true
    } else {
      // The recipients it had accepted did not get the message: they share the refusal's reply.
      this.#rejected.push(...rcpt.rejected)
      const reply = e.reply ?? lostReply(e)
      for (const r of rcpt.accepted) this.#rejected.push({ recipient: r, reply })
      this.#absorb()
    }
    this.#settle(job)
  }

  /**
   * The connection failed (closed, timed out, aborted). Nothing accepted yet: the error is thrown
   * as it is (the pool may move an uncommitted send). Otherwise what was delivered stays
   * delivered and everything still open is returned rejected.
   */
  broken(error: unknown): SendResult {
    if (this.#accepted.length === 0) throw error
    const e = asSmtpError(error)
    const reply = e.reply ?? lostReply(e)
    const open: string[] = []
    const current = this.#current
    if (current !== undefined) {
      if (current.rcpt === undefined) open.push(...current.to)
      else {
        this.#rejected.push(...current.rcpt.rejected)
        open.push(...current.rcpt.accepted)
        if (!this.#absorbed) for (const d of current.rcpt.deferred) open.push(current.to[d.at] as string)
      }
    }
    if (this.#ahead !== undefined) open.push(...this.#ahead.to)
    for (const i of this.#todo.splice(0)) open.push(this.#message.envelope.to[i] as string)
    for (const r of open) this.#rejected.push({ recipient: r, reply })
    this.#current = undefined
    this.#ahead = undefined
    return this.result()
  }

  /** The merged result; throws when no recipient was accepted (see the class comment). */
  result(): SendResult {
    if (this.#accepted.length > 0 && this.#reply !== undefined) {
      return { accepted: this.#accepted, rejected: this.#rejected, reply: this.#reply }
    }
    const first = this.#failures[0]
    if (first === undefined) throw new SmtpError('ERR_SMTP_PROTOCOL', 'internal: a send ended without a transaction')
    // One transaction for the whole envelope: its own error, exactly as without splitting.
    if (this.planned === 1 && this.#built === 1) throw first
    const worst = this.#failures.find((f) => f.retry === 'transient') ?? first
    const reply = worst.reply
    throw new SmtpError(worst.code, `no recipient was accepted in ${this.#built} transactions (${summarize(this.#rejected)})`, {
      reply,
      command: worst.command,
      rejected: this.#rejected,
      cause: worst,
    })
  }

  #build(): Job | undefined {
    if (this.#todo.length === 0) return undefined
    this.#built++
    return transactionOf(this.#message, this.#todo.splice(0, this.#size))
  }

  /** The current transaction's deferred recipients go first in the next one (once). */
  #absorb(): void {
    const job = this.#current
    if (job === undefined || this.#absorbed || job.rcpt === undefined) return
    this.#absorbed = true
    const { accepted, deferred } = job.rcpt
    if (deferred.length === 0) return
    this.#todo.unshift(...deferred.map((d) => job.indexes[d.at] as number))
    // The server showed how many it takes: ask no more of it (at least one, to make progress).
    this.#size = Math.max(1, Math.min(this.#size, accepted.length))
  }

  #settle(job: Job): void {
    if (job.committed) this.#committed = true
    this.#current = undefined
  }
}

function asSmtpError(e: unknown): SmtpError {
  return e instanceof SmtpError ? e : new SmtpError('ERR_SMTP_PROTOCOL', e instanceof Error ? e.message : String(e), { cause: e })
}

/**
 * RFC 5321 §3.8: a client whose connection fails mid-transaction SHOULD treat it as a 451 reply.
 * The text is ours and says so; the enhanced code is RFC 3463 X.4.2 "bad connection".
 */
function lostReply(e: SmtpError): Reply {
  return { code: 451, enhanced: '4.4.2', text: `not sent: ${e.code}: ${e.message} (no reply from the server)` }
}

