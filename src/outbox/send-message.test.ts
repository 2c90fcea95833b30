import { describe, expect, test } from 'vitest'
import { composeMessage, joinPartial } from '../mime/index.js'
import { NO_CAPABILITIES, SmtpError } from '../smtp/index.js'
import type { Capabilities, Envelope, MessageInput, SendResult } from '../smtp/index.js'
import { SIZE_HEADROOM_BYTES, sendMessage } from './send-message.js'
import type { MessageSender } from './send-message.js'

/** A sender that records every transaction and refuses the recipients it is told to. */
class RecordingSender implements MessageSender {
  readonly sent: { envelope: Envelope; message: Buffer }[] = []
  readonly #caps: Capabilities
  readonly #refuseOn: Map<number, string>

  constructor(size: number | undefined, refuseOn: Map<number, string> = new Map()) {
    this.#caps = size === undefined ? NO_CAPABILITIES : { ...NO_CAPABILITIES, size }
    this.#refuseOn = refuseOn
  }
  async capabilities(): Promise<Capabilities> {
    return this.#caps
  }
  async send(envelope: Envelope, message: MessageInput): Promise<SendResult> {
    this.sent.push({ envelope, message: Buffer.from(message) })
    const refuse = this.#refuseOn.get(this.sent.length)
    const reply = { code: 250, text: 'ok' }
    return {
      accepted: envelope.to.filter((r) => r !== refuse),
      rejected: envelope.to.filter((r) => r === refuse).map((recipient) => ({ recipient, reply: { code: 550, enhanced: '5.1.1', text: 'no' } })),
      reply,
    }
  }
}

const envelope: Envelope = { from: 'alerts@example.com', to: ['a@example.org', 'b@example.org'] }
const big = await composeMessage({ from: envelope.from, to: [...envelope.to], subject: 'Big', text: 'x'.repeat(70).concat('\n').repeat(200), allow8bit: false })

describe('sendMessage', () => {
  test('sends a message that fits as it is', async () => {
    const sender = new RecordingSender(1_000_000)
    const result = await sendMessage(sender, envelope, big.raw, { partialEmail: true })
    expect(sender.sent).toHaveLength(1)
    expect(sender.sent[0]!.message.equals(big.raw)).toBe(true)
    expect(result.accepted).toEqual(envelope.to)
  })

  test('sends whole when the server advertises no SIZE and there is no cap', async () => {
    const sender = new RecordingSender(undefined)
    await sendMessage(sender, envelope, big.raw, { partialEmail: false })
    expect(sender.sent).toHaveLength(1)
  })

  test('fails with ERR_SMTP_SIZE when over SIZE minus headroom and partialEmail is off', async () => {
    // Fits under SIZE itself but not under SIZE minus Postfix headroom.
    const sender = new RecordingSender(big.raw.length + 500)
    const err: unknown = await sendMessage(sender, envelope, big.raw, { partialEmail: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SmtpError)
    expect((err as SmtpError).code).toBe('ERR_SMTP_SIZE')
    expect((err as SmtpError).retry).toBe('permanent')
    expect((err as SmtpError).message).toMatch(/Enable Partial Email/)
    expect(sender.sent).toHaveLength(0)
  })

  test('splits into message/partial fragments under SIZE minus headroom', async () => {
    const size = 6000
    const sender = new RecordingSender(size)
    const result = await sendMessage(sender, envelope, big.raw, { partialEmail: true })
    expect(sender.sent.length).toBeGreaterThan(2)
    for (const { message } of sender.sent) expect(message.length).toBeLessThanOrEqual(size - SIZE_HEADROOM_BYTES - 100)
    expect(joinPartial(sender.sent.map((s) => s.message)).equals(big.raw)).toBe(true)
    expect(result.accepted).toEqual(envelope.to)
  })

  test('maxMessageBytes caps the size even when the server allows more', async () => {
    const sender = new RecordingSender(10_000_000)
    await sendMessage(sender, envelope, big.raw, { partialEmail: true, maxMessageBytes: 3000 })
    expect(sender.sent.length).toBeGreaterThan(4)
    for (const { message } of sender.sent) expect(message.length).toBeLessThanOrEqual(3000)
    const err: unknown = await sendMessage(new RecordingSender(undefined), envelope, big.raw, { partialEmail: false, maxMessageBytes: 3000 }).catch((e: unknown) => e)
    expect((err as SmtpError).code).toBe('ERR_SMTP_SIZE')
  })

  test('stops sending fragments to a recipient that refused one', async () => {
    const sender = new RecordingSender(undefined, new Map([[2, 'b@example.org']]))
    const result = await sendMessage(sender, envelope, big.raw, { partialEmail: true, maxMessageBytes: 3000 })
    expect(sender.sent[2]!.envelope.to).toEqual(['a@example.org'])
    expect(result.accepted).toEqual(['a@example.org'])
    expect(result.rejected.map((r) => r.recipient)).toEqual(['b@example.org'])
  })

  test('an 8-bit message that is too big fails clearly instead of being split', async () => {
    const eight = await composeMessage({ from: envelope.from, to: 'a@example.org', subject: 'x', text: 'Größe\n'.repeat(2000), allow8bit: true })
    expect(eight.eightBit).toBe(true)
    const err: unknown = await sendMessage(new RecordingSender(undefined), envelope, eight.raw, { partialEmail: true, maxMessageBytes: 3000 }).catch((e: unknown) => e)
    expect((err as SmtpError).code).toBe('ERR_SMTP_SIZE')
    expect((err as SmtpError).message).toMatch(/7bit/)
  })

  test('an 8-bit message that needs splitting is re-encoded 7-bit through compose7bit', async () => {
    const input = { from: envelope.from, to: 'a@example.org', subject: 'x', text: 'Größe\n'.repeat(2000), messageId: '<eight@example.com>' }
    const eight = await composeMessage({ ...input, allow8bit: true })
    const seven = await composeMessage({ ...input, allow8bit: false, date: new Date() })
    const sender = new RecordingSender(undefined)
    await sendMessage(sender, envelope, eight.raw, { partialEmail: true, maxMessageBytes: 3000, compose7bit: async () => seven.raw })
    const joined = joinPartial(sender.sent.map((s) => s.message))
    expect(joined.equals(seven.raw)).toBe(true)
    for (const { message } of sender.sent) expect([...message].every((b) => b < 0x80)).toBe(true)
  })

  test('an 8-bit message that fits is sent as it is, without re-encoding', async () => {
    const eight = await composeMessage({ from: envelope.from, to: 'a@example.org', subject: 'x', text: 'Größe', allow8bit: true })
    const sender = new RecordingSender(1_000_000)
    let called = false
    await sendMessage(sender, envelope, eight.raw, { partialEmail: true, compose7bit: async () => { called = true; return eight.raw } })
    expect(called).toBe(false)
    expect(sender.sent[0]!.message.equals(eight.raw)).toBe(true)
  })
})
