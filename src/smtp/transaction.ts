import type { Capabilities } from './capabilities.js'
import { bdatChunks, prepareBody, type PreparedBody } from './data-stream.js'
import { formatMailFrom, formatRcptTo, isAscii } from './envelope.js'
import { classify, SmtpError, type RejectedRecipient } from './errors.js'
import { MAX_RECIPIENTS_PER_SEND, type Envelope, type SmtpOptions } from './options.js'
import { formatReply, type Reply } from './reply.js'
import type { Batch, Session } from './session.js'
import type { Steps } from './steps.js'
import type { MessageInput, SendResult } from './types.js'

/** Above this a BDAT message goes in several chunks (RFC 3030 §2), keeping writes bounded. */
const BDAT_CHUNK_BYTES = 8 * 1024 * 1024

/** A message formatted once per send: checked against the server, MAIL and every RCPT line built. */
export interface PreparedMessage {
  readonly envelope: Envelope
  /** The same MAIL FROM (SIZE, BODY, SMTPUTF8, RET, ENVID) opens every transaction of the send. */
  readonly mail: string
  /** One RCPT TO line per `envelope.to` entry, in the same order. */
  readonly rcpts: readonly string[]
  readonly body: PreparedBody
  /** BDAT (RFC 3030) instead of DATA */
  readonly chunked: boolean
}

/** One transaction, ready for the wire. `envelopeSent`/`committed` track pipelining. */
export interface Job {
  /** The recipients of this transaction, and their positions in the envelope. */
  readonly to: readonly string[]
  readonly indexes: readonly number[]
  readonly mail: string
  readonly rcpts: readonly string[]
  readonly body: PreparedBody
  /** BDAT (RFC 3030) instead of DATA */
  readonly chunked: boolean
  /** MAIL/RCPT/DATA already written behind the previous message's end of data (RFC 2920 §3.1). */
  envelopeSent: boolean
  /** The end of data has been written: from here a retry could deliver twice. */
  committed: boolean
  /** The RCPT replies, read: set before the content goes out (and before a refusal is thrown). */
  rcpt: RcptOutcome | undefined
}

export interface RcptOutcome {
  readonly accepted: string[]
  readonly rejected: RejectedRecipient[]
  /**
   * Refused for lack of room in this transaction (isTooManyRecipients): not rejected, to be sent
   * again in a later one (RFC 5321 §4.5.3.1.10). `at` is the position in `Job.to`.
   */
  readonly deferred: { readonly at: number; readonly reply: Reply }[]
}

export interface Mode {
  readonly pipelining: boolean
  readonly chunking: boolean
}

export function modeOf(opts: SmtpOptions, caps: Capabilities): Mode {
  return {
    pipelining: caps.pipelining && opts.pipelining !== 'off',
    chunking: caps.chunking && opts.chunking !== 'off',
  }
}

/**
 * Everything decided before a byte is sent: checks against the server's capabilities, so an
 * oversized or 8-bit message is refused before MAIL (never a half-sent transaction).
 */
export function prepareMessage(envelope: Envelope, message: MessageInput, caps: Capabilities, opts: SmtpOptions, mode: Mode): PreparedMessage {
  if (envelope.to.length === 0) throw new SmtpError('ERR_SMTP_ENVELOPE', 'no recipients')
  checkRecipientCount(envelope)
  const body = prepareBody(message, !mode.chunking)
  // RFC 1870 §6.1: a client SHOULD NOT send a message larger than the advertised SIZE.
  if (caps.size !== undefined && body.size > caps.size) {
    throw new SmtpError('ERR_SMTP_SIZE', `message is ${body.size} bytes; the server accepts at most ${caps.size} (SIZE)`, { command: 'MAIL FROM' })
  }
  let utf8 = !isAscii(envelope.from) || envelope.to.some((a) => !isAscii(a))
  if (utf8 && !caps.smtpUtf8) {
    throw new SmtpError('ERR_SMTP_UNSUPPORTED', 'a non-ASCII address needs SMTPUTF8, which the server does not advertise (RFC 6531)', { command: 'MAIL FROM' })
  }
  if (body.eightBit && !(opts.eightBitMime && caps.eightBitMime)) {
    // RFC 6531 §3.4 / RFC 6532 §3: under SMTPUTF8 the header section may carry UTF-8 (an
    // internationalized address in To/From) whatever our 8-bit body setting. Only scanned on
    // this path, so 7-bit mail pays nothing.
    if (caps.smtpUtf8 && !bodyHasEightBit(body.bytes)) {
      utf8 = true
    } else {
      const why = opts.eightBitMime ? 'the server does not advertise 8BITMIME' : 'eightBitMime is off'
      const hint = caps.smtpUtf8 ? '' : '; UTF-8 in the header needs SMTPUTF8, which the server does not advertise (RFC 6531)'
      throw new SmtpError('ERR_SMTP_UNSUPPORTED', `message has 8-bit content but ${why}; it must be 7-bit encoded (RFC 6152)${hint}`, { command: 'MAIL FROM' })
    }
  }
  const dsn = caps.dsn
  const mail = formatMailFrom(envelope.from, {
    size: caps.size === undefined ? undefined : body.size,
    // RFC 6152 §3: declare 8-bit data only to a server that advertised it (an SMTPUTF8 server
    // must, RFC 6531 §3.3, but a sloppy one may not: then SMTPUTF8 alone covers the header).
    eightBitMime: body.eightBit && caps.eightBitMime,
    smtpUtf8: utf8,
    ret: dsn ? opts.dsnRet : undefined,
    envelopeId: dsn ? envelope.envelopeId : undefined,
  })
  const notify = dsn ? opts.dsnNotify : undefined
  const rcpts = envelope.to.map((to) => formatRcptTo(to, { notify }))
  return { envelope, mail, rcpts, body, chunked: mode.chunking }
}

/** The transaction of `message` to the recipients at `indexes` of its envelope. */
export function transactionOf(message: PreparedMessage, indexes: readonly number[]): Job {
  return {
    to: indexes.map((i) => message.envelope.to[i] as string),
    indexes,
    mail: message.mail,
    rcpts: indexes.map((i) => message.rcpts[i] as string),
    body: message.body,
    chunked: message.chunked,
    envelopeSent: false,
    committed: false,
    rcpt: undefined,
  }
}

/** MAX_RECIPIENTS_PER_SEND: checked before connecting (pool, report) and again before MAIL. */
export function checkRecipientCount(envelope: Envelope): void {
  if (envelope.to.length > MAX_RECIPIENTS_PER_SEND) {
    throw new SmtpError('ERR_SMTP_ENVELOPE', `${envelope.to.length} recipients; one send takes at most ${MAX_RECIPIENTS_PER_SEND} (MAX_RECIPIENTS_PER_SEND)`)
  }
}

/**
 * RFC 5321 §4.5.3.1.10: a server out of room for recipients answers 452 (an older one 552, which
 * the client SHOULD take as temporary), and the client sends those recipients in a later
 * transaction. But 452 also means "insufficient system storage" (§4.2.3, RFC 3463 4.3.1) or a full
 * mailbox (4.2.2): those stay refusals. So only codes decide, never words (STYLE.md §2.5): the
 * enhanced code X.5.3 "too many recipients" (RFC 3463 §3.6), or, without an enhanced code, a
 * 452/552 after this transaction accepted a recipient (then the limit is the likely cause).
 */
export function isTooManyRecipients(reply: Reply, afterAccepted: boolean): boolean {
  if (reply.code !== 452 && reply.code !== 552) return false
  if (reply.enhanced !== undefined) return reply.enhanced.endsWith('.5.3')
  return afterAccepted
}

/** MAIL, every RCPT and DATA in one group: RFC 2920 §3.1 lets DATA end a group. */
export function writeEnvelope(batch: Batch, job: Job): void {
  batch.line(job.mail)
  for (const r of job.rcpts) batch.line(r)
  batch.line('DATA')
  job.envelopeSent = true
}

/**
 * One transaction. With PIPELINING the envelope is one write; after the end of data the next
 * queued message's envelope (from `takeNext`) rides in the same write, so a warm connection
 * costs one round trip per message. With CHUNKING, `BDAT n LAST` and the content travel with
 * MAIL/RCPT instead (RFC 3030 §4.2).
 */
export async function runTransaction(session: Session, job: Job, mode: Mode, steps: Steps, takeNext: () => Job | undefined): Promise<SendResult> {
  const start = steps.now()
  const n = job.rcpts.length
  let replies: Reply[]
  const chunks = job.chunked ? bdatChunks(job.body.size, BDAT_CHUNK_BYTES) : []
  if (mode.pipelining) {
    if (job.chunked) {
      const batch = session.batch().line(job.mail)
      for (const r of job.rcpts) batch.line(r)
      for (const c of chunks) batch.line(c.header).bytes(job.body.bytes.subarray(c.start, c.end))
      batch.flush()
      job.committed = true
    } else if (!job.envelopeSent) {
      const batch = session.batch()
      writeEnvelope(batch, job)
      batch.flush()
    }
    replies = await session.read(n + 1 + (job.chunked ? chunks.length : 1))
  } else {
    replies = await lockstep(session, job, chunks)
  }
  const outcome = evaluate(job, replies)
  // Only a transaction whose MAIL was accepted has RCPT replies to speak of.
  if (replies[0]?.code === 250) job.rcpt = outcome
  steps.record('mail', start, replies[0]?.code === 250, replies[0])
  if (replies.length > 1 && steps.enabled) steps.record('rcpt', start, outcome.accepted.length > 0, rcptSummary(outcome, replies[n]))
  if (outcome.failure !== undefined) {
    if (!job.chunked && replies[n + 1]?.code === 354) {
      // RFC 2920 §3.1 says DATA must then fail; a server that says 354 anyway is given an empty
      // message to stay in step (it has no valid recipient to deliver it to).
      session.batch().endOfData().flush()
      await session.readOne()
    }
    await session.command('RSET', 250)
    throw outcome.failure
  }
  if (job.chunked) {
    const last = replies[replies.length - 1] as Reply
    steps.record('data', start, true, last)
    return { accepted: outcome.accepted, rejected: outcome.rejected, reply: last }
  }
  const dataStart = steps.now()
  const batch = session.batch().bytes(job.body.bytes).endOfData()
  const next = mode.pipelining ? takeNext() : undefined
  if (next !== undefined) writeEnvelope(batch, next)
  batch.flush()
  job.committed = true
  const final = await session.readOne()
  steps.record('data', dataStart, final.code === 250, final)
  if (final.code !== 250) throw refusal(final, 'DATA')
  return { accepted: outcome.accepted, rejected: outcome.rejected, reply: final }
}

/** Without PIPELINING: one command, one reply, stopping at the first step that cannot go on. */
async function lockstep(session: Session, job: Job, chunks: ReturnType<typeof bdatChunks>): Promise<Reply[]> {
  const replies = [await session.exchange(job.mail)]
  if (replies[0]?.code !== 250) return replies
  let accepted = 0
  for (const r of job.rcpts) {
    const reply = await session.exchange(r)
    replies.push(reply)
    if (isAccepted(reply)) accepted++
    else if (isTooManyRecipients(reply, accepted > 0)) {
      // RFC 5321 §4.5.3.1.10: the server has no room for more in this transaction; the rest of
      // this batch waits for the next one unasked (the same reply stands for them).
      while (replies.length <= job.rcpts.length) replies.push(reply)
      break
    }
  }
  if (accepted === 0) return replies
  if (!job.chunked) {
    replies.push(await session.exchange('DATA'))
    return replies
  }
  for (const c of chunks) {
    session.batch().line(c.header).bytes(job.body.bytes.subarray(c.start, c.end)).flush()
    if (c.header.endsWith('LAST')) job.committed = true
    const reply = await session.readOne()
    replies.push(reply)
    if (reply.code !== 250) break
  }
  return replies
}

interface Outcome extends RcptOutcome {
  readonly failure?: SmtpError
}

/** Reads MAIL, RCPT... and DATA/BDAT replies in order; refused recipients are data, not errors. */
function evaluate(job: Job, replies: readonly Reply[]): Outcome {
  const accepted: string[] = []
  const rejected: RejectedRecipient[] = []
  const deferred: { at: number; reply: Reply }[] = []
  const mail = replies[0] as Reply
  if (mail.code !== 250) return { accepted, rejected, deferred, failure: refusal(mail, 'MAIL FROM') }
  const to = job.to
  for (let i = 0; i < to.length; i++) {
    const reply = replies[i + 1]
    if (reply === undefined) break
    if (isAccepted(reply)) accepted.push(to[i] as string)
    else if (isTooManyRecipients(reply, accepted.length > 0)) deferred.push({ at: i, reply })
    else rejected.push({ recipient: to[i] as string, reply })
  }
  if (accepted.length === 0) {
    // Nothing to send the content to: every refusal, the "no room" ones too, goes to the caller.
    const all = [...rejected, ...deferred.map((d) => ({ recipient: to[d.at] as string, reply: d.reply }))]
    // The most retryable refusal speaks for the message: one 4xx means trying again can help.
    const first = all.find((r) => classify('ERR_SMTP_REJECTED', r.reply) === 'transient') ?? all[0]
    return {
      accepted,
      rejected,
      deferred,
      failure: new SmtpError('ERR_SMTP_REJECTED', `every recipient was refused (${summarize(all)})`, { reply: first?.reply, command: 'RCPT TO', rejected: all }),
    }
  }
  for (let i = to.length + 1; i < replies.length; i++) {
    const reply = replies[i] as Reply
    const expected = job.chunked ? 250 : 354
    if (reply.code !== expected) return { accepted, rejected, deferred, failure: refusal(reply, job.chunked ? 'BDAT' : 'DATA') }
  }
  return { accepted, rejected, deferred }
}

/**
 * The rcpt step's reply: the last RCPT reply when every recipient was accepted; otherwise each
 * refusal with its recipient (RFC 5321 §3.3: some may be refused while the message goes to the
 * rest), so a partly failed Send Test Mail shows who did not get it. `ok` says whether any did.
 */
function rcptSummary(outcome: Outcome, last: Reply | undefined): Reply | string | undefined {
  const later = outcome.deferred.length === 0 ? '' : `, ${outcome.deferred.length} for a later transaction (${formatReply((outcome.deferred[0] as { reply: Reply }).reply)})`
  if (outcome.rejected.length === 0) return later === '' ? last : `${outcome.accepted.length} accepted${later}`
  return `${outcome.accepted.length} accepted, ${outcome.rejected.length} refused (${summarize(outcome.rejected)})${later}`
}

/** `a@x: 550 5.1.1 …; b@x: …`, the first few only: an envelope can hold thousands. */
export function summarize(refused: readonly RejectedRecipient[], most = 10): string {
  const shown = refused.slice(0, most).map((r) => `${r.recipient}: ${formatReply(r.reply)}`).join('; ')
  return refused.length > most ? `${shown}; and ${refused.length - most} more` : shown
}

/** Any octet ≥ 0x80 after the header section (the first empty line, RFC 5322 §2.1). */
function bodyHasEightBit(bytes: Buffer): boolean {
  const end = bytes.indexOf('\r\n\r\n')
  if (end < 0) return false
  for (let i = end + 4; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return true
  return false
}

/** RFC 5321 §4.2.5: 250 and 251 accept a recipient. */
function isAccepted(reply: Reply): boolean {
  return reply.code === 250 || reply.code === 251
}

/** 552 / x.3.4 on MAIL or DATA: too big (RFC 1870 §6.1, RFC 3463 §3.4). */
function refusal(reply: Reply, command: string): SmtpError {
  const tooBig = reply.enhanced === '5.3.4' || (reply.enhanced === undefined && reply.code === 552)
  const code = tooBig ? 'ERR_SMTP_SIZE' : 'ERR_SMTP_REJECTED'
  return new SmtpError(code, `${command} refused: ${formatReply(reply)}`, { reply, command })
}
