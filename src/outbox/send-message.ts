import { MimeError, hasEightBit, splitPartial } from '../mime/index.js'
import { SmtpError } from '../smtp/index.js'
import type { Capabilities, Envelope, MessageInput, RejectedRecipient, SendOptions, SendResult } from '../smtp/index.js'

/** What sendMessage needs of a connection or pool: `SmtpPool` fits as it is. */
export interface MessageSender {
  send(envelope: Envelope, message: MessageInput, opts?: SendOptions): Promise<SendResult>
  capabilities(): Promise<Capabilities>
}

export interface SendMessageOptions {
  /** Enable Partial Email: split an oversized message into RFC 2046 message/partial fragments. */
  readonly partialEmail: boolean
  /** Our own cap in octets, applied even when the server advertises a larger SIZE (or none). */
  readonly maxMessageBytes?: number | undefined
  readonly signal?: AbortSignal | undefined
  /**
   * The same message composed 7-bit safe (allow8bit: false). message/partial must be 7bit
   * (RFC 2046 §5.2.2), so an 8-bit message that needs splitting is re-encoded through this;
   * without it such a message fails with ERR_SMTP_SIZE.
   */
  readonly compose7bit?: (() => Promise<Buffer>) | undefined
}

/**
 * Postfix counts its own Received header and queue records against message_size_limit (about
 * 1 KB plus ~80 octets per extra recipient, DESIGN.md §2 "Enable Partial Email"), so a message
 * exactly at the advertised SIZE is refused after DATA. Stay this far below it.
 */
export const SIZE_HEADROOM_BYTES = 2048
export const SIZE_HEADROOM_PER_EXTRA_RECIPIENT = 100

/**
 * Sends `raw` whole when it fits under min(SIZE − headroom, maxMessageBytes); otherwise as
 * message/partial fragments when `partialEmail` is on (each its own transaction, to the
 * recipients every earlier fragment reached), or fails with ERR_SMTP_SIZE.
 *
 * @example
 * const result = await sendMessage(pool, { from, to }, raw, { partialEmail: settings.partialEmail })
 */
export async function sendMessage(sender: MessageSender, envelope: Envelope, raw: Buffer, opts: SendMessageOptions): Promise<SendResult> {
  const sendOpts = opts.signal ? { signal: opts.signal } : {}
  const limit = sizeLimit(await sender.capabilities(), envelope.to.length, opts.maxMessageBytes)
  const size = wireSize(raw)
  if (limit === undefined || size <= limit.bytes) return sender.send(envelope, raw, sendOpts)
  if (!opts.partialEmail) {
    throw new SmtpError('ERR_SMTP_SIZE', `message is ${size} octets, over the ${limit.bytes}-octet limit (${limit.why}); turn on Enable Partial Email to send it as message/partial fragments`)
  }
  let fragments: Buffer[]
  try {
    const sevenBit = hasEightBit(raw) && opts.compose7bit ? await opts.compose7bit() : raw
    fragments = splitPartial(sevenBit, limit.bytes)
  } catch (e) {
    if (!(e instanceof MimeError)) throw e
    throw new SmtpError('ERR_SMTP_SIZE', `message is ${size} octets, over the ${limit.bytes}-octet limit (${limit.why}), and cannot be split: ${e.message}`, { cause: e })
  }
  return sendFragments(sender, envelope, fragments, sendOpts)
}

async function sendFragments(sender: MessageSender, envelope: Envelope, fragments: readonly Buffer[], sendOpts: SendOptions): Promise<SendResult> {
  let accepted = [...envelope.to]
  const rejected: RejectedRecipient[] = []
  let last: SendResult | undefined
  for (const fragment of fragments) {
    // A recipient refused one fragment can never reassemble the message: stop sending it more.
    last = await sender.send({ ...envelope, to: accepted }, fragment, sendOpts)
    rejected.push(...last.rejected)
    const ok = new Set(last.accepted)
    accepted = accepted.filter((r) => ok.has(r))
  }
  if (!last) throw new SmtpError('ERR_SMTP_SIZE', 'nothing to send')
  return { accepted, rejected, reply: last.reply }
}

function sizeLimit(caps: Capabilities, recipients: number, maxMessageBytes: number | undefined): { bytes: number; why: string } | undefined {
  const candidates: { bytes: number; why: string }[] = []
  if (caps.size !== undefined && caps.size > 0) {
    const headroom = SIZE_HEADROOM_BYTES + SIZE_HEADROOM_PER_EXTRA_RECIPIENT * Math.max(0, recipients - 1)
    candidates.push({ bytes: caps.size - headroom, why: `server SIZE ${caps.size} less ${headroom} octets of headroom` })
  }
  if (maxMessageBytes !== undefined && maxMessageBytes > 0) candidates.push({ bytes: maxMessageBytes, why: `maxMessageBytes ${maxMessageBytes}` })
  return candidates.sort((a, b) => a.bytes - b.bytes)[0]
}

/** RFC 1870 §3: the size counts CRLF pairs; the client turns each bare LF into one. */
function wireSize(raw: Buffer): number {
  let bareLf = 0
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) if (i === 0 || raw[i - 1] !== 0x0d) bareLf++
  return raw.length + bareLf
}
