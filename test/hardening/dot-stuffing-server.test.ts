/**
 * Dot-stuffing through a real peer (issue 6 §1): our client sends bodies full of '.' lines,
 * bare CR and bare LF to an in-process smtp-server, which un-stuffs them by its own reading of
 * RFC 5321 §4.5.2. The pure 10,000-case version is in smtp-properties.test.ts.
 */
import fc from 'fast-check'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SmtpClient } from '../../src/smtp/index.js'
import { options } from '../smtp/helpers.js'
import { dottyBody, normalised } from './bodies.js'

/**
 * 300, not 10,000: each case is a real SMTP transaction over loopback (MAIL, RCPT, DATA and
 * smtp-server's stream parser), about 100× the cost of the pure property; 300 keep this file
 * near a few seconds on a loaded 2-core CI box while still covering every shape the generator makes.
 */
const SERVER_RUNS = 300

describe('dot-stuffing against smtp-server', () => {
  let server: SMTPServer
  let port = 0
  const received: Buffer[] = []

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          received.push(Buffer.concat(chunks))
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.server.address() as { port: number }).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it(`${SERVER_RUNS} bodies with arbitrary "." lines arrive byte for byte (one connection, pipelined)`, async () => {
    const client = await SmtpClient.connect(options(port, { eightBitMime: true, socketTimeoutMs: 20_000 }))
    try {
      await fc.assert(
        fc.asyncProperty(dottyBody, async (body) => {
          const raw = `From: a@example.com\r\nTo: b@example.com\r\nSubject: dots\r\n\r\n${body}`
          const before = received.length
          const result = await client.send({ from: 'a@example.com', to: ['b@example.com'] }, raw)
          expect(result.accepted).toEqual(['b@example.com'])
          expect(received.length).toBe(before + 1)
          expect(received[before]?.toString('utf8')).toBe(normalised(raw))
        }),
        { numRuns: SERVER_RUNS },
      )
    } finally {
      await client.quit()
    }
  }, 120_000)
})
