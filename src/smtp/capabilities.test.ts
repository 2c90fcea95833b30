import { describe, expect, it } from 'vitest'
import { parseEhlo } from './capabilities.js'
import { parseReplies } from './reply.js'

const ehlo = (lines: string[]) => {
  const wire = lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join('')
  const reply = parseReplies(Buffer.from(wire)).replies[0]
  if (reply === undefined) throw new Error('no reply')
  return parseEhlo(reply)
}

describe('parseEhlo', () => {
  it('reads every keyword we use, case-insensitively', () => {
    const caps = ehlo(['mx.example.com Hello', 'pipelining', 'CHUNKING', '8BITMIME', 'SMTPUTF8', 'DSN', 'SIZE 10240000', 'AUTH PLAIN login CRAM-MD5', 'STARTTLS', 'ENHANCEDSTATUSCODES'])
    expect(caps).toEqual({
      pipelining: true,
      chunking: true,
      eightBitMime: true,
      smtpUtf8: true,
      dsn: true,
      size: 10240000,
      auth: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
      startTls: true,
      enhancedStatusCodes: true,
    })
  })

  it('does not read the server name on the first line as a keyword', () => {
    expect(ehlo(['PIPELINING', 'SIZE 100']).pipelining).toBe(false)
  })

  it('merges the old AUTH=LOGIN form', () => {
    expect(ehlo(['x', 'AUTH=LOGIN PLAIN', 'AUTH PLAIN XOAUTH2']).auth).toEqual(['LOGIN', 'PLAIN', 'XOAUTH2'])
  })

  it('treats SIZE without a number or SIZE 0 as no limit', () => {
    expect(ehlo(['x', 'SIZE']).size).toBeUndefined()
    expect(ehlo(['x', 'SIZE 0']).size).toBeUndefined()
  })

  it('reports nothing for a bare greeting line', () => {
    const caps = ehlo(['x'])
    expect(caps.pipelining || caps.dsn || caps.startTls || caps.auth.length > 0).toBe(false)
  })
})
