/**
 * One delivery attempt: compose the message (mime), send it (send-message over the pool), and turn
 * the outcome into the store's AttemptCompletion. Never throws: every failure is data.
 */
import { composeMessage, MimeError } from '../mime/index.js'
import { formatReply, SmtpError, type Reply, type SmtpOptions } from '../smtp/index.js'
import type { EmailSettings } from '../settings/index.js'
import type { AttemptCompletion, AttemptNext } from './port.js'
import type { AttemptOutcome, Delivery, TranscriptLine } from './records.js'
import type { RetryPolicy } from './retry-policy.js'
import { sendMessage, type MessageSender } from './send-message.js'

export interface AttemptContext {
  readonly owner: string
  readonly settings: EmailSettings
  readonly smtp: SmtpOptions
  readonly sender: MessageSender
  readonly policy: RetryPolicy
  readonly now: () => number
  readonly signal?: AbortSignal | undefined
}

/** The envelope sender and From: fromAddress, else the AUTH identity (DESIGN.md §2 "Email Address"). */
export function senderAddress(settings: EmailSettings): string {
  return settings.fromAddress !== '' ? settings.fromAddress : settings.username
}

/**
 * A failure after the end of data was written and before its reply arrived: the relay may hold the
 * message (RFC 5321 §4.1.1.4, §6.1 — it takes responsibility when it says 250, which we never heard).
 * The pool moves a message that was not yet committed to another connection by itself, so a
 * closed/timed-out connection that reaches us without a reply is treated as possibly delivered,
 * unless the error says otherwise (`committed: false`).
 */
export function maybeDelivered(err: SmtpError): boolean {
  const committed = (err as { committed?: unknown }).committed
  if (typeof committed === 'boolean') return committed
  return (err.code === 'ERR_SMTP_CLOSED' || err.code === 'ERR_SMTP_TIMEOUT') && err.reply === undefined
}

interface Failure {
  readonly outcome: Exclude<AttemptOutcome, 'sent'>
  readonly reply?: Reply | undefined
  readonly reason: string
}

/** `sending`: false while only connecting/composing, when nothing can have reached the relay. */
function classifyFailure(err: unknown, sending: boolean): Failure {
  if (err instanceof SmtpError) {
    // One recipient per delivery: its own refusal is the reply that matters (RFC 5321 §3.3).
    const reply = err.rejected?.[0]?.reply ?? err.reply
    const reason = `${err.code}${err.command === undefined ? '' : ` at ${err.command}`}: ${reply === undefined ? err.message : formatReply(reply)}`
    if (sending && maybeDelivered(err)) return { outcome: 'unknown', reply, reason }
    return { outcome: err.retry === 'permanent' ? 'permanent' : 'transient', reply, reason }
  }
  // A message we cannot build never will be: bad address or header value.
  if (err instanceof MimeError) return { outcome: 'permanent', reason: `${err.code}: ${err.message}` }
  return { outcome: 'transient', reason: err instanceof Error ? err.message : String(err) }
}

export async function attemptDelivery(d: Delivery, ctx: AttemptContext): Promise<AttemptCompletion> {
  const started = ctx.now()
  const transcript: TranscriptLine[] = []
  const note = (dir: TranscriptLine['dir'], line: string): void => {
    transcript.push({ at: Math.max(0, Math.round(ctx.now() - started)), dir, line })
  }
  const from = senderAddress(ctx.settings)
  const done = (outcome: AttemptOutcome, next: AttemptNext, reply?: Reply): AttemptCompletion => ({
    deliveryId: d.id,
    owner: ctx.owner,
    attempt: {
      startedAt: new Date(started),
      ms: Math.max(0, ctx.now() - started),
      outcome,
      code: reply?.code,
      enhanced: reply?.enhanced,
      reply: reply?.text,
      transcript,
    },
    next,
  })
  let sending = false
  try {
    // Opens a connection when none is alive: a failure here (refused, connect timeout) happened
    // before any message data, so it can never be 'unknown'.
    const caps = await ctx.sender.capabilities()
    const composed = await composeMessage({
      from,
      fromName: ctx.settings.fromName === '' ? undefined : ctx.settings.fromName,
      to: d.recipient,
      subject: d.subject,
      text: d.text,
      html: d.html,
      // Chosen at enqueue and reused on every retry: a receiver can drop a duplicate (RFC 5322 §3.6.4).
      messageId: d.messageId,
      allow8bit: ctx.settings.eightBitMime && caps.eightBitMime,
    })
    note('*', `attempt ${d.attempts + 1}: ${composed.raw.length} octets, Message-ID ${composed.messageId}, via ${ctx.smtp.host}:${ctx.smtp.port}`)
    // The pool does not hand out per-message wire lines (its connections interleave pipelined
    // transactions), so the attempt records the envelope and the server's real replies.
    note('*', `envelope MAIL FROM:<${from}> RCPT TO:<${d.recipient}>`)
    sending = true
    const result = await sendMessage(ctx.sender, { from, to: [d.recipient], envelopeId: d.id }, composed.raw, {
      partialEmail: ctx.settings.partialEmail,
      maxMessageBytes: ctx.settings.maxMessageBytes > 0 ? ctx.settings.maxMessageBytes : undefined,
      signal: ctx.signal,
    })
    const refused = result.rejected.find((r) => r.recipient === d.recipient)
    if (refused !== undefined) throw new SmtpError('ERR_SMTP_REJECTED', 'recipient refused', { reply: refused.reply, command: 'RCPT TO', rejected: [refused] })
    note('S', formatReply(result.reply))
    return done('sent', { state: 'sent' }, result.reply)
  } catch (err) {
    const f = classifyFailure(err, sending)
    if (f.reply !== undefined) note('S', formatReply(f.reply))
    note('*', f.reason)
    if (f.outcome === 'permanent') return done('permanent', { state: 'failed', reason: f.reason }, f.reply)
    const attempts = d.attempts + 1
    const decision = ctx.policy.next({ attempts, queuedAt: d.queuedAt, now: new Date(ctx.now()) })
    if (!decision.retry) return done(f.outcome, { state: 'failed', reason: `${decision.reason}; last: ${f.reason}` }, f.reply)
    note('*', `retry in ${decision.delayMs} ms${f.outcome === 'unknown' ? ' with the same Message-ID (the relay may already have it)' : ''}`)
    return done(f.outcome, { state: f.outcome === 'unknown' ? 'unknown' : 'retrying', nextAttemptAt: decision.at }, f.reply)
  }
}
