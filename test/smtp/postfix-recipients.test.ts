import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SmtpClient, type TranscriptEntry } from '../../src/smtp/index.js'
import { postfixAvailable, startPostfix, withoutTrace, type PostfixServer } from '../support/postfix.js'
import { MESSAGE, options } from './helpers.js'

// Interop with a real MTA: Postfix's smtpd_recipient_limit answers "452 4.5.3 Error: too many
// recipients" beyond it (RFC 5321 §4.5.3.1.10), and the client must send the rest in later
// transactions of the same send.

const USERS = Array.from({ length: 100 }, (_, i) => `u${i}`)
/** Postfix takes 30 recipients per transaction; the client is configured for 50. */
const POSTFIX_LIMIT = 30

let pf: PostfixServer

beforeAll(async () => {
  if (!postfixAvailable()) throw new Error('these tests need /usr/sbin/postfix and root: run .ci/run (apt-get install postfix)')
  pf = await startPostfix({ users: USERS, mainCf: { smtpd_recipient_limit: String(POSTFIX_LIMIT) } })
}, 180_000)

afterAll(async () => {
  await pf?.stop()
})

describe('Postfix smtpd_recipient_limit', () => {
  test('100 recipients, 50 per message, Postfix room for 30: everyone gets the message once, over 4 transactions', async () => {
    const transcript: TranscriptEntry[] = []
    const opts = options(pf.port, { encryption: 'TLS', startTls: true, tlsCa: pf.caPem, maxRecipientsPerMessage: 50, socketTimeoutMs: 30_000 })
    const client = await SmtpClient.connect(opts, { trace: (e) => transcript.push(e) })
    expect(client.capabilities.pipelining).toBe(true)
    const to = USERS.map((u) => pf.address(u))
    const result = await client.send({ from: pf.address('u0'), to }, MESSAGE)
    await client.quit()
    expect(result.rejected).toEqual([])
    expect([...result.accepted].sort()).toEqual([...to].sort())
    const lines = transcript.map((e) => `${e.dir} ${e.line}`)
    // 50 asked, 30 taken and 20 refused for room → then 30, 30, 10: the client asks no more than Postfix took.
    expect(lines.filter((l) => l.startsWith('C MAIL FROM:'))).toHaveLength(4)
    expect(lines.filter((l) => l.startsWith('C RCPT TO:'))).toHaveLength(50 + 30 + 30 + 10)
    expect(lines.filter((l) => /^S 452 4\.5\.3 /.test(l))).toHaveLength(20)
    for (const u of USERS) {
      const got = await pf.waitForMessages(u, 1)
      expect(got, u).toHaveLength(1)
      expect(withoutTrace(got[0]!).toString()).toContain('hello')
    }
  }, 120_000)
})
