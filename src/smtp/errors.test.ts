import { describe, expect, it } from 'vitest'
import { classify, SMTP_ERROR_CODES, SmtpError } from './errors.js'

describe('classify', () => {
  it.each([
    ['ERR_SMTP_REJECTED', { code: 550, text: '' }, 'permanent'],
    ['ERR_SMTP_REJECTED', { code: 450, text: '' }, 'transient'],
    ['ERR_SMTP_REJECTED', { code: 550, enhanced: '4.2.2', text: '' }, 'transient'],
    ['ERR_SMTP_REJECTED', { code: 451, enhanced: '5.7.1', text: '' }, 'permanent'],
    ['ERR_SMTP_REJECTED', undefined, 'transient'],
    ['ERR_SMTP_AUTH', { code: 535, enhanced: '5.7.8', text: '' }, 'transient'],
    ['ERR_SMTP_TLS', undefined, 'transient'],
    ['ERR_SMTP_SIZE', { code: 552, enhanced: '5.3.4', text: '' }, 'permanent'],
    ['ERR_SMTP_TIMEOUT', undefined, 'transient'],
    ['ERR_SMTP_ENVELOPE', undefined, 'permanent'],
    // RFC 5321 §4.5.3.1.10: "too many recipients" is temporary, even as 552
    ['ERR_SMTP_REJECTED', { code: 552, enhanced: '5.5.3', text: '' }, 'transient'],
    ['ERR_SMTP_REJECTED', { code: 452, enhanced: '4.5.3', text: '' }, 'transient'],
    ['ERR_SMTP_REJECTED', { code: 552, enhanced: '5.2.2', text: '' }, 'permanent'],
    ['ERR_SMTP_REJECTED', { code: 550, enhanced: '5.5.3', text: '' }, 'permanent'],
  ] as const)('%s with %j is %s', (code, reply, expected) => {
    expect(classify(code, reply)).toBe(expected)
  })

  it('never looks at reply text', () => {
    expect(classify('ERR_SMTP_REJECTED', { code: 550, text: 'greylisted, try again later' })).toBe('permanent')
  })
})

describe('SmtpError', () => {
  it('carries code, verb, reply and the classification', () => {
    const e = new SmtpError('ERR_SMTP_REJECTED', 'RCPT TO refused', { command: 'RCPT TO', reply: { code: 450, text: 'later' } })
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('SmtpError')
    expect([e.code, e.command, e.retry]).toEqual(['ERR_SMTP_REJECTED', 'RCPT TO', 'transient'])
  })

  it('lists every code once', () => {
    expect(new Set(SMTP_ERROR_CODES).size).toBe(SMTP_ERROR_CODES.length)
    expect(SMTP_ERROR_CODES.every((c) => /^ERR_SMTP_[A-Z]+$/.test(c))).toBe(true)
  })
})
