import { describe, expect, it } from 'vitest'
import { hintFor, type HintContext } from './hints.js'

const settings: HintContext['settings'] = { host: 'smtp.example.com', port: 587, encryption: 'TLS', authEnabled: true, authMethod: 'AUTO' }
const ok = (step: HintContext['steps'][number]['step']) => ({ step, ok: true, ms: 1 })
const failed = (step: HintContext['steps'][number]['step']) => ({ step, ok: false, ms: 1 })

function hint(error: HintContext['error'], steps: HintContext['steps'] = [], more: Partial<HintContext['settings']> = {}): string {
  return hintFor({ error, steps, settings: { ...settings, ...more } })
}

describe('Send Test Mail hints (decided by codes, never by reply words)', () => {
  it('535 → check username and password; App Password for Gmail', () => {
    const h = hint({ code: 'ERR_SMTP_AUTH', reply: { code: 535, enhanced: '5.7.8', text: 'anything at all' } }, [], { host: 'smtp.gmail.com' })
    expect(h).toMatch(/username or password/)
    expect(h).toMatch(/App Password/)
  })

  it('534 5.7.9 → an App Password or XOAUTH2 is required', () => {
    expect(hint({ code: 'ERR_SMTP_AUTH', reply: { code: 534, enhanced: '5.7.9', text: '' } })).toMatch(/App Password/)
  })

  it('454 during AUTH → temporary, try again', () => {
    expect(hint({ code: 'ERR_SMTP_AUTH', reply: { code: 454, enhanced: '4.7.0', text: '' } })).toMatch(/temporary/)
  })

  it('AUTH with no usable mechanism → encrypt first or turn Enable Auth off', () => {
    expect(hint({ code: 'ERR_SMTP_AUTH' })).toMatch(/Enable Auth/)
  })

  it('TLS required but STARTTLS never sent → SSL on 465 or NONE', () => {
    const h = hint({ code: 'ERR_SMTP_TLS', command: 'EHLO' }, [ok('connect'), ok('greeting'), ok('ehlo')])
    expect(h).toMatch(/SSL on port 465/)
    expect(h).toMatch(/NONE/)
  })

  it('a refused certificate after STARTTLS → add the CA or use the certificate\'s host name', () => {
    const h = hint({ code: 'ERR_SMTP_TLS', command: 'STARTTLS' }, [ok('connect'), ok('greeting'), ok('ehlo'), failed('starttls')])
    expect(h).toMatch(/CA certificate/)
    expect(h).toMatch(/host name/)
  })

  it('a failed implicit TLS handshake → the CA, or the wrong protocol for the port', () => {
    expect(hint({ code: 'ERR_SMTP_TLS' }, [failed('connect')], { encryption: 'SSL', port: 465 })).toMatch(/CA certificate.*TLS on 587/s)
  })

  it('a timeout on 465 without SSL → choose SSL', () => {
    expect(hint({ code: 'ERR_SMTP_TIMEOUT' }, [ok('connect'), failed('greeting')], { port: 465 })).toMatch(/choose SSL/)
  })

  it('a plain timeout → host, port, firewall', () => {
    expect(hint({ code: 'ERR_SMTP_TIMEOUT' }, [failed('connect')])).toMatch(/host and port.*firewall/s)
  })

  it('connection refused → server name, port, firewall', () => {
    expect(hint({ code: 'ERR_SMTP_CONNECT' })).toMatch(/smtp\.example\.com:587.*firewall/s)
  })

  it('RCPT 5.7.1 without auth → relaying denied: enable auth', () => {
    expect(hint({ code: 'ERR_SMTP_REJECTED', command: 'RCPT TO', reply: { code: 550, enhanced: '5.7.1', text: 'x' } }, [], { authEnabled: false })).toMatch(/refuses to relay: turn on Enable Auth/)
  })

  it('MAIL refused → use the authenticated account as sender', () => {
    expect(hint({ code: 'ERR_SMTP_REJECTED', command: 'MAIL FROM', reply: { code: 553, enhanced: '5.7.1', text: 'x' } })).toMatch(/sender address/)
  })

  it('a 4xx refusal → temporary, try later', () => {
    expect(hint({ code: 'ERR_SMTP_REJECTED', command: 'RCPT TO', reply: { code: 451, enhanced: '4.7.1', text: 'x' } })).toMatch(/temporary/)
  })

  it('credentials in clear text refused by configuration → choose TLS or SSL', () => {
    expect(hint({ code: 'ERR_SMTP_CONFIG' }, [], { encryption: 'NONE' })).toMatch(/TLS or SSL/)
  })

  it('the same reply words with another code give another hint', () => {
    const words = 'Authentication credentials invalid'
    expect(hint({ code: 'ERR_SMTP_REJECTED', command: 'RCPT TO', reply: { code: 550, enhanced: '5.1.1', text: words } })).toMatch(/recipient/)
  })
})
