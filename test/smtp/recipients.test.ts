import { describe, expect, it } from 'vitest'
import {
  DEFAULT_MAX_RECIPIENTS_PER_MESSAGE,
  MAX_RECIPIENTS_PER_SEND,
  sendWithReport,
  SmtpClient,
  SmtpPool,
  type SmtpError,
} from '../../src/smtp/index.js'
import { reply, type Ctx, type FakeConnection } from '../support/fake-smtp.js'
import { failure, MESSAGE, options, useFakeSmtp } from './helpers.js'

// RFC 5321 §4.5.3.1.8 (a server need only buffer 100 recipients) and §4.5.3.1.10 (452 "too many
// recipients": send the rest in a later transaction), against the scripted server.

const fake = useFakeSmtp()

const recipients = (n: number): string[] => Array.from({ length: n }, (_, i) => `r${i}@example.com`)
const address = (line: string): string => /<([^>]*)>/.exec(line)?.[1] ?? ''

/** The transactions the server saw: the MAIL line and the RCPT addresses that followed it. */
function transactions(conn: FakeConnection): { mail: string; rcpt: string[] }[] {
  const out: { mail: string; rcpt: string[] }[] = []
  for (const c of conn.commands) {
    if (c.startsWith('MAIL FROM:')) out.push({ mail: c, rcpt: [] })
    else if (c.startsWith('RCPT TO:')) out.at(-1)?.rcpt.push(address(c))
  }
  return out
}

/** Position of this RCPT in its transaction (1-based): the commands since the last MAIL. */
function rcptPosition(ctx: Ctx): number {
  const cmds = ctx.conn.commands
  let n = 0
  for (let i = cmds.length - 1; i >= 0 && !(cmds[i] as string).startsWith('MAIL'); i--) if ((cmds[i] as string).startsWith('RCPT')) n++
  return n
}

/** A server with room for `room` recipients per transaction; beyond it, `full`. */
function limited(room: number, full: string): (ctx: Ctx) => string {
  return (ctx) => (rcptPosition(ctx) > room ? full : reply(250, '2.1.5 Ok'))
}

const PIPELINED = { extensions: ['PIPELINING', 'ENHANCEDSTATUSCODES'] }

describe('maxRecipientsPerMessage: a big envelope goes out as several transactions', () => {
  for (const pipelining of [true, false]) {
    it(`250 recipients at 100 per message: 3 transactions of 100/100/50, same bytes, one merged result (${pipelining ? 'pipelined' : 'lock-step'})`, async () => {
      const s = await fake({ extensions: [...(pipelining ? ['PIPELINING'] : []), 'DSN'] })
      const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 100, dsnRet: 'FULL', dsnNotify: ['FAILURE'] }))
      const to = recipients(250)
      const result = await client.send({ from: 'a@example.com', to, envelopeId: 'alert-7' }, MESSAGE)
      await client.quit()
      const conn = s.connections[0]!
      const tx = transactions(conn)
      expect(tx.map((t) => t.rcpt.length)).toEqual([100, 100, 50])
      expect(tx.flatMap((t) => t.rcpt)).toEqual(to)
      // RFC 3461: the same ENVID and RET on every transaction, NOTIFY on every recipient.
      expect(new Set(tx.map((t) => t.mail))).toEqual(new Set(['MAIL FROM:<a@example.com> RET=FULL ENVID=alert-7']))
      expect(conn.commands.filter((c) => c.startsWith('RCPT')).every((c) => c.endsWith(' NOTIFY=FAILURE'))).toBe(true)
      expect(conn.messages.map((m) => m.toString())).toEqual([MESSAGE, MESSAGE, MESSAGE])
      expect(result.accepted).toEqual(to)
      expect(result.rejected).toEqual([])
      expect(result.reply.code).toBe(250)
    })
  }

  it('defaults to 100 (RFC 5321 §4.5.3.1.8)', async () => {
    expect(DEFAULT_MAX_RECIPIENTS_PER_MESSAGE).toBe(100)
    const s = await fake(PIPELINED)
    const client = await SmtpClient.connect(options(s.port))
    await client.send({ from: 'a@example.com', to: recipients(101) }, MESSAGE)
    await client.quit()
    expect(transactions(s.connections[0]!).map((t) => t.rcpt.length)).toEqual([100, 1])
  })

  it('a refused recipient in one transaction is data; the other transactions deliver', async () => {
    const s = await fake({ ...PIPELINED, rcpt: ({ line }) => (line.includes('<r3@') ? reply(550, '5.1.1 no such user') : reply(250, '2.1.5 Ok')) })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 2 }))
    const result = await client.send({ from: 'a@example.com', to: recipients(5) }, MESSAGE)
    await client.quit()
    expect(result.accepted).toEqual(['r0@example.com', 'r1@example.com', 'r2@example.com', 'r4@example.com'])
    expect(result.rejected).toEqual([{ recipient: 'r3@example.com', reply: { code: 550, enhanced: '5.1.1', text: 'no such user' } }])
    expect(s.connections[0]!.messages).toHaveLength(3)
  })

  it('a transaction refused at the end of data: its recipients are rejected with that reply, the others stay accepted', async () => {
    const s = await fake({ ...PIPELINED, dataDone: ({ index }) => (index === 1 ? reply(554, '5.6.0 content refused') : reply(250, '2.0.0 Ok: queued')) })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 100 }))
    const to = recipients(250)
    const result = await client.send({ from: 'a@example.com', to }, MESSAGE)
    await client.quit()
    expect(result.accepted).toEqual([...to.slice(0, 100), ...to.slice(200)])
    expect(result.rejected.map((r) => r.recipient)).toEqual(to.slice(100, 200))
    expect(new Set(result.rejected.map((r) => `${r.reply.code} ${r.reply.enhanced}`))).toEqual(new Set(['554 5.6.0']))
    // `reply`: the end-of-data reply of the last transaction the server accepted.
    expect(result.reply).toEqual({ code: 250, enhanced: '2.0.0', text: 'Ok: queued' })
    expect(transactions(s.connections[0]!)).toHaveLength(3)
  })

  it('a transaction whose MAIL is refused: its recipients are rejected with that reply, the others delivered', async () => {
    const s = await fake({ ...PIPELINED, mail: ({ index }) => (index === 1 ? reply(451, '4.3.0 try again later') : reply(250, '2.1.0 Ok')) })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 100 }))
    const to = recipients(250)
    const result = await client.send({ from: 'a@example.com', to }, MESSAGE)
    await client.quit()
    expect(result.accepted).toEqual([...to.slice(0, 100), ...to.slice(200)])
    expect(result.rejected.map((r) => r.recipient)).toEqual(to.slice(100, 200))
    expect(result.rejected.every((r) => r.reply.code === 451 && r.reply.enhanced === '4.3.0')).toBe(true)
    expect(s.connections[0]!.messages).toHaveLength(2)
  })

  it('throws ERR_SMTP_REJECTED with every refusal only when no transaction delivered', async () => {
    const s = await fake({ ...PIPELINED, rcpt: reply(550, '5.1.1 no such user') })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 100 }))
    const e = (await failure(client.send({ from: 'a@example.com', to: recipients(250) }, MESSAGE))) as unknown as SmtpError
    await client.quit()
    expect([e.code, e.retry, e.command]).toEqual(['ERR_SMTP_REJECTED', 'permanent', 'RCPT TO'])
    expect(e.rejected).toHaveLength(250)
    expect(transactions(s.connections[0]!)).toHaveLength(3)
    expect(s.connections[0]!.messages).toHaveLength(0)
  })

  it('refuses maxRecipientsPerMessage 0 with ERR_SMTP_CONFIG naming the option, before connecting', async () => {
    const s = await fake(PIPELINED)
    const pool = new SmtpPool(options(s.port, { maxRecipientsPerMessage: 0 }))
    const e = await failure(pool.send({ from: 'a@example.com', to: ['b@example.com'] }, MESSAGE))
    await pool.close()
    expect(e.code).toBe('ERR_SMTP_CONFIG')
    expect(e.message).toMatch(/maxRecipientsPerMessage/)
    expect(s.connections).toHaveLength(0)
  })
})

describe('452 "too many recipients" (RFC 5321 §4.5.3.1.10)', () => {
  for (const pipelining of [true, false]) {
    it(`452 4.5.3 after 40 RCPTs: the rest go in later transactions, everyone gets the message once (${pipelining ? 'pipelined' : 'lock-step'})`, async () => {
      const s = await fake({
        extensions: [...(pipelining ? ['PIPELINING'] : []), 'ENHANCEDSTATUSCODES'],
        rcpt: limited(40, reply(452, '4.5.3 Too many recipients')),
      })
      const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 100 }))
      const to = recipients(250)
      const result = await client.send({ from: 'a@example.com', to }, MESSAGE)
      await client.quit()
      const conn = s.connections[0]!
      const tx = transactions(conn)
      // The server's first 40 of each transaction got it: every recipient exactly once.
      const delivered = tx.flatMap((t) => t.rcpt.slice(0, 40))
      expect([...delivered].sort()).toEqual([...to].sort())
      expect(result.accepted.sort()).toEqual([...to].sort())
      expect(result.rejected).toEqual([])
      expect(conn.messages).toHaveLength(tx.length)
      // After the first refusal the client asks no more of a transaction than the server took.
      expect(tx.slice(1).every((t) => t.rcpt.length <= 40)).toBe(true)
      expect(tx).toHaveLength(7) // 40 + 6 × ≤40 = 250
      // Without PIPELINING the client stops asking at the first 452 (§4.5.3.1.10).
      expect(tx[0]!.rcpt).toHaveLength(pipelining ? 100 : 41)
    })
  }

  it('a plain 452 without an enhanced code, after an accepted recipient, is also taken as "no room"', async () => {
    const s = await fake({ extensions: ['PIPELINING'], rcpt: limited(3, reply(452, 'Too many recipients')) })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 10 }))
    const to = recipients(10)
    const result = await client.send({ from: 'a@example.com', to }, MESSAGE)
    await client.quit()
    expect(result.accepted.sort()).toEqual([...to].sort())
    expect(transactions(s.connections[0]!).map((t) => t.rcpt.length)).toEqual([10, 3, 3, 1])
  })

  it('552 5.5.3 (the older code, RFC 5321 §4.5.3.1.10) is treated like 452 4.5.3', async () => {
    const s = await fake({ ...PIPELINED, rcpt: limited(5, reply(552, '5.5.3 Too many recipients')) })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 8 }))
    const to = recipients(12)
    const result = await client.send({ from: 'a@example.com', to }, MESSAGE)
    await client.quit()
    expect(result.accepted.sort()).toEqual([...to].sort())
    expect(result.rejected).toEqual([])
  })

  it('a server that 452s every RCPT: one transaction, no loop, every recipient rejected with its reply', async () => {
    const s = await fake({ ...PIPELINED, rcpt: reply(452, '4.5.3 Too many recipients') })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 100 }))
    const to = recipients(250)
    const e = (await failure(client.send({ from: 'a@example.com', to }, MESSAGE))) as unknown as SmtpError
    await client.quit()
    expect([e.code, e.retry, e.command]).toEqual(['ERR_SMTP_REJECTED', 'transient', 'RCPT TO'])
    expect(e.rejected?.map((r) => r.recipient)).toEqual(to)
    expect(e.rejected?.every((r) => r.reply.code === 452 && r.reply.enhanced === '4.5.3')).toBe(true)
    const conn = s.connections[0]!
    expect(transactions(conn)).toHaveLength(1)
    expect(conn.commands.filter((c) => c === 'RSET')).toHaveLength(1)
    expect(conn.messages).toHaveLength(0)
  })

  it('a server whose room runs out after one transaction: the delivered stay delivered, the rest come back rejected', async () => {
    // e.g. a per-connection recipient budget: everything after the first 100 gets 452 4.5.3.
    const s = await fake({ ...PIPELINED, rcpt: ({ index }) => (index < 100 ? reply(250, '2.1.5 Ok') : reply(452, '4.5.3 Recipient budget spent')) })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 100 }))
    const to = recipients(250)
    const result = await client.send({ from: 'a@example.com', to }, MESSAGE)
    await client.quit()
    expect(result.accepted).toEqual(to.slice(0, 100))
    expect(result.rejected.map((r) => r.recipient).sort()).toEqual(to.slice(100).sort())
    expect(result.rejected.every((r) => r.reply.code === 452 && r.reply.enhanced === '4.5.3' && r.reply.text === 'Recipient budget spent')).toBe(true)
    expect(transactions(s.connections[0]!)).toHaveLength(2)
    expect(s.connections[0]!.messages).toHaveLength(1)
  })

  for (const [what, refusal] of [
    ['452 4.2.2 (mailbox full)', reply(452, '4.2.2 Mailbox full')],
    ['452 4.3.1 (insufficient storage)', reply(452, '4.3.1 Insufficient system storage')],
    ['552 5.2.2 (over quota)', reply(552, '5.2.2 Over quota')],
  ] as const) {
    it(`${what} after an accepted recipient stays a refusal of that recipient, not retried`, async () => {
      const s = await fake({ ...PIPELINED, rcpt: ({ line }) => (line.includes('<r1@') ? refusal : reply(250, '2.1.5 Ok')) })
      const client = await SmtpClient.connect(options(s.port))
      const result = await client.send({ from: 'a@example.com', to: recipients(3) }, MESSAGE)
      await client.quit()
      expect(result.accepted).toEqual(['r0@example.com', 'r2@example.com'])
      expect(result.rejected.map((r) => [r.recipient, r.reply.code])).toEqual([['r1@example.com', Number(refusal.slice(0, 3))]])
      expect(transactions(s.connections[0]!)).toHaveLength(1)
    })
  }

  it('a plain 452 to the first recipient (nothing accepted yet) is a refusal, not "no room"', async () => {
    const s = await fake({ extensions: ['PIPELINING'], rcpt: ({ line }) => (line.includes('<r0@') ? reply(452, 'Insufficient system storage') : reply(250, 'Ok')) })
    const client = await SmtpClient.connect(options(s.port))
    const result = await client.send({ from: 'a@example.com', to: recipients(3) }, MESSAGE)
    await client.quit()
    expect(result.rejected.map((r) => r.recipient)).toEqual(['r0@example.com'])
    expect(transactions(s.connections[0]!)).toHaveLength(1)
  })
})

describe(`MAX_RECIPIENTS_PER_SEND (${MAX_RECIPIENTS_PER_SEND})`, () => {
  const tooMany = { from: 'a@example.com', to: recipients(MAX_RECIPIENTS_PER_SEND + 1) }

  it('the pool refuses 10,001 recipients with ERR_SMTP_ENVELOPE naming the limit, before any connection', async () => {
    const s = await fake(PIPELINED)
    const pool = new SmtpPool(options(s.port))
    const e = await failure(pool.send(tooMany, MESSAGE))
    await pool.close()
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_ENVELOPE', 'permanent'])
    expect(e.message).toContain('10001 recipients')
    expect(e.message).toContain(`at most ${MAX_RECIPIENTS_PER_SEND}`)
    expect(s.connections).toHaveLength(0)
  })

  it('sendWithReport refuses it before connecting too', async () => {
    const s = await fake(PIPELINED)
    const report = await sendWithReport(options(s.port), tooMany, MESSAGE)
    expect(report.ok).toBe(false)
    expect(report.error?.code).toBe('ERR_SMTP_ENVELOPE')
    expect(report.transcript).toEqual([])
    expect(s.connections).toHaveLength(0)
  })

  it('a connected client refuses it before MAIL', async () => {
    const s = await fake(PIPELINED)
    const client = await SmtpClient.connect(options(s.port))
    const e = await failure(client.send(tooMany, MESSAGE))
    await client.quit()
    expect(e.code).toBe('ERR_SMTP_ENVELOPE')
    expect(s.connections[0]!.commands).toEqual(['EHLO client.test', 'QUIT'])
  })

  it('exactly MAX_RECIPIENTS_PER_SEND is sent, in transactions of maxRecipientsPerMessage', async () => {
    const s = await fake(PIPELINED)
    const pool = new SmtpPool(options(s.port, { maxRecipientsPerMessage: 1000, maxConnections: 1 }))
    const to = recipients(MAX_RECIPIENTS_PER_SEND)
    const result = await pool.send({ from: 'a@example.com', to }, MESSAGE)
    await pool.close()
    expect(result.accepted).toHaveLength(MAX_RECIPIENTS_PER_SEND)
    expect(transactions(s.connections[0]!).map((t) => t.rcpt.length)).toEqual(Array(10).fill(1000))
  })
})

describe('PIPELINING across the transactions of one send (RFC 2920 §3.1)', () => {
  it('each next transaction follows the previous final dot in the same write, and the next message follows the last', async () => {
    // The end-of-data replies are held until the next command arrives: a client that waited
    // for them before writing the next envelope would stall (socketTimeoutMs fails the test).
    const s = await fake({ ...PIPELINED, dataDone: ({ index }) => (index < 3 ? { reply: reply(250, '2.0.0 queued'), hold: true } : reply(250, '2.0.0 queued')) })
    const client = await SmtpClient.connect(options(s.port, { socketTimeoutMs: 5000, maxRecipientsPerMessage: 100 }))
    const to = recipients(250)
    const [big, small] = await Promise.all([
      client.send({ from: 'a@example.com', to }, MESSAGE),
      client.send({ from: 'a@example.com', to: ['z@example.com'] }, 'Subject: 2\r\n\r\nsecond\r\n'),
    ])
    await client.quit()
    expect(big.accepted).toEqual(to)
    expect(small.accepted).toEqual(['z@example.com'])
    const conn = s.connections[0]!
    expect(conn.messages.map((m) => m.toString())).toEqual([MESSAGE, MESSAGE, MESSAGE, 'Subject: 2\r\n\r\nsecond\r\n'])
    const writes = conn.chunks.map((c) => c.toString('latin1'))
    const glued = writes.filter((c) => c.includes('\r\n.\r\nMAIL FROM:'))
    expect(glued).toHaveLength(3)
    // One write per warm transaction: content, dot, MAIL, every RCPT of the next batch and DATA.
    const second = glued[0]!
    expect(second.match(/^RCPT TO:/gm)).toHaveLength(100)
    expect(second.endsWith('DATA\r\n')).toBe(true)
    expect(glued[1]!.match(/^RCPT TO:/gm)).toHaveLength(50)
  })

  it('the pool runs the transactions of one send on one warm connection', async () => {
    const s = await fake(PIPELINED)
    const pool = new SmtpPool(options(s.port, { maxRecipientsPerMessage: 100, maxConnections: 3 }))
    const to = recipients(250)
    const result = await pool.send({ from: 'a@example.com', to }, MESSAGE)
    await pool.close()
    expect(result.accepted).toEqual(to)
    expect(s.connections).toHaveLength(1)
    expect(transactions(s.connections[0]!).map((t) => t.rcpt.length)).toEqual([100, 100, 50])
  })
})

describe('a connection lost between the transactions of one send', () => {
  it('keeps what was delivered, returns the rest rejected (RFC 5321 §3.8: as a 451), and the pool does not resend it', async () => {
    // Lock-step, so the first end of data is answered before the second MAIL is written.
    const s = await fake({ mail: ({ index }) => (index === 1 ? { drop: true } : reply(250, '2.1.0 Ok')) })
    const pool = new SmtpPool(options(s.port, { maxRecipientsPerMessage: 100, maxConnections: 1 }))
    const to = recipients(250)
    const result = await pool.send({ from: 'a@example.com', to }, MESSAGE)
    await pool.close()
    expect(result.accepted).toEqual(to.slice(0, 100))
    expect(result.rejected.map((r) => r.recipient)).toEqual(to.slice(100))
    expect(result.rejected[0]!.reply).toMatchObject({ code: 451, enhanced: '4.4.2' })
    expect(result.rejected[0]!.reply.text).toMatch(/ERR_SMTP_CLOSED/)
    // Moving the send to a new connection would deliver the first 100 twice.
    expect(s.connections).toHaveLength(1)
    expect(s.connections[0]!.messages).toHaveLength(1)
  })

  it('nothing delivered yet: the error is thrown as before', async () => {
    const s = await fake({ dataDone: { drop: true } })
    const client = await SmtpClient.connect(options(s.port, { maxRecipientsPerMessage: 100 }))
    const e = await failure(client.send({ from: 'a@example.com', to: recipients(150) }, MESSAGE))
    client.destroy()
    expect(e.code).toBe('ERR_SMTP_CLOSED')
  })
})

describe('a queued send aborted after its envelope was pipelined', () => {
  it('ends the connection instead of leaving a DATA open (no command ever becomes message content)', async () => {
    const ac = new AbortController()
    // The second message's MAIL/RCPT/DATA arrive with the first one's final dot (RFC 2920 §3.1);
    // its caller gives up right then, before the first message's reply is out.
    const s = await fake({
      ...PIPELINED,
      dataDone: ({ index }) => {
        if (index === 0) ac.abort()
        return reply(250, '2.0.0 Ok: queued')
      },
    })
    const client = await SmtpClient.connect(options(s.port))
    const first = client.send({ from: 'a@example.com', to: ['b@example.com'] }, MESSAGE)
    const second = failure(client.send({ from: 'a@example.com', to: ['c@example.com'] }, 'Subject: 2\r\n\r\ntwo\r\n', { signal: ac.signal }))
    expect((await first).accepted).toEqual(['b@example.com'])
    expect((await second).code).toBe('ERR_SMTP_ABORTED')
    const third = await client.send({ from: 'a@example.com', to: ['d@example.com'] }, 'Subject: 3\r\n\r\nthree\r\n').then(
      () => 'sent',
      (e: SmtpError) => e.code,
    )
    await client.quit()
    await s.waitFor(() => s.connections[0]!.closed, 'close')
    expect(third).toBe('ERR_SMTP_ABORTED')
    expect(s.connections[0]!.commands.filter((c) => c.startsWith('MAIL'))).toHaveLength(2)
    expect(s.connections[0]!.messages.map((m) => m.toString())).toEqual([MESSAGE])
  })
})
