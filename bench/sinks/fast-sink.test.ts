import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FastSink } from './fast-sink.js'

/** Writes `chunks` one by one (each flushed before the next) and resolves with all replies once QUIT is answered. */
async function converse(port: number, chunks: readonly string[]): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.setNoDelay(true)
  let replies = ''
  const done = new Promise<string>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      replies += d.toString('latin1')
      if (replies.includes('221 ')) resolve(replies)
    })
    socket.on('error', reject)
  })
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  for (const c of chunks) {
    await new Promise<void>((resolve) => socket.write(c, () => resolve()))
    await new Promise((resolve) => setImmediate(resolve))
  }
  const r = await done
  socket.destroy()
  return r
}

describe('FastSink', () => {
  let pipelining: FastSink
  let chunking: FastSink
  beforeAll(async () => {
    pipelining = await FastSink.start({ chunking: false, trace: true })
    chunking = await FastSink.start({ chunking: true })
  })
  afterAll(async () => {
    await pipelining.close()
    await chunking.close()
  })

  it('unstuffs dots and finds the terminator wherever the stream is split', async () => {
    const body = 'Subject: bnch42z\r\n\r\n.leading dot\r\n..two dots\r\nend\r\n'
    const stuffed = body.replace(/^\./gm, '..')
    const wire = `EHLO t\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n${stuffed}.\r\nQUIT\r\n`
    for (let split = 1; split < wire.length; split++) {
      pipelining.reset()
      const replies = await converse(pipelining.port, [wire.slice(0, split), wire.slice(split)])
      expect(replies).toContain('250 2.0.0 Ok: queued')
      const s = pipelining.stats()
      expect(s.messages).toBe(1)
      expect(s.minBodyBytes).toBe(Buffer.byteLength(body))
      expect(s.protocolErrors).toBe(0)
    }
    expect(pipelining.takeTraces().map(([id]) => id)).toContain(42)
  })

  it('consumes exactly the BDAT sizes, pipelined with the envelope, and answers every chunk', async () => {
    chunking.reset()
    const a = 'line one\r\n.not stuffed\r\n'
    const b = 'BDAT 7 LAST\r\n' // content that looks like a command must be taken as data
    const wire = `EHLO t\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nBDAT ${String(a.length)}\r\n${a}BDAT ${String(b.length)} LAST\r\n${b}QUIT\r\n`
    const replies = await converse(chunking.port, [wire.slice(0, 50), wire.slice(50)])
    expect(replies).toContain('250-CHUNKING')
    expect(replies).toContain(`250 2.0.0 ${String(a.length)} octets received`)
    const s = chunking.stats()
    expect(s).toMatchObject({ messages: 1, bdatMessages: 1, recipients: 2, minBodyBytes: a.length + b.length, protocolErrors: 0 })
  })

  it('refuses BDAT when CHUNKING is not offered', async () => {
    pipelining.reset()
    const replies = await converse(pipelining.port, ['EHLO t\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 3 LAST\r\nQUIT\r\n'])
    expect(replies).not.toContain('CHUNKING')
    expect(replies).toContain('501 ')
    expect(pipelining.stats().messages).toBe(0)
  })
})
