import { describe, expect, it } from 'vitest'
import type { SmtpAuth } from '../options.js'
import type { Reply } from '../reply.js'
import { authenticate, chooseMechanism, cramMd5Response, isLoopbackHost, mayAuthenticate, MECHANISMS, REDACTED } from './index.js'

/** A scripted SASL peer: answers each line in turn and records what was sent and shown. */
function peer(answers: Reply[]) {
  const sent: string[] = []
  const shown: string[] = []
  const exchange = async (line: string, redacted: string): Promise<Reply> => {
    sent.push(line)
    shown.push(redacted)
    const r = answers.shift()
    if (r === undefined) throw new Error('unexpected line ' + line)
    return r
  }
  return { sent, shown, exchange }
}

const ok: Reply = { code: 235, enhanced: '2.7.0', text: 'ok' }
const go = (text = ''): Reply => ({ code: 334, text })
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('mechanisms', () => {
  it('PLAIN sends the initial response in one line (RFC 4616)', async () => {
    const p = peer([ok])
    await MECHANISMS.PLAIN.authenticate(p.exchange, { username: 'u', password: 'pw' })
    expect(p.sent).toEqual([`AUTH PLAIN ${b64('\0u\0pw')}`])
  })

  it('LOGIN answers the two prompts', async () => {
    const p = peer([go('VXNlcm5hbWU6'), go('UGFzc3dvcmQ6'), ok])
    const r = await MECHANISMS.LOGIN.authenticate(p.exchange, { username: 'u', password: 'pw' })
    expect(r.code).toBe(235)
    expect(p.sent).toEqual(['AUTH LOGIN', b64('u'), b64('pw')])
  })

  it('CRAM-MD5 matches the RFC 2195 example', () => {
    const challenge = b64('<1896.697170952@postoffice.reston.mci.net>')
    expect(cramMd5Response(challenge, 'tim', 'tanstaaftanstaaf')).toBe('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw')
  })

  it('XOAUTH2 sends the bearer token and an empty line after a 334 error', async () => {
    const p = peer([go(b64('{"status":"401"}')), { code: 535, text: 'no' }])
    const r = await MECHANISMS.XOAUTH2.authenticate(p.exchange, { username: 'u', accessToken: 'tok' })
    expect(r.code).toBe(535)
    expect(p.sent).toEqual([`AUTH XOAUTH2 ${b64('user=u\x01auth=Bearer tok\x01\x01')}`, ''])
  })

  it('never shows a secret in the redacted form', async () => {
    for (const m of Object.values(MECHANISMS)) {
      const p = peer([go(b64('<1.2@x>')), go('x'), go('x'), ok])
      await m.authenticate(p.exchange, { username: 'user-secret', password: 'pw-secret', accessToken: 'token-secret' })
      expect(p.shown.join(' ')).not.toMatch(/secret|cHctc2VjcmV0|dXNlci1zZWNyZXQ/)
      expect(p.shown.some((s) => s.includes(REDACTED))).toBe(true)
    }
  })
})

describe('chooseMechanism', () => {
  const pw: SmtpAuth = { method: 'AUTO', username: 'u', password: 'p' }
  it('AUTO prefers CRAM-MD5, then PLAIN, then LOGIN', () => {
    expect(chooseMechanism(pw, ['LOGIN', 'PLAIN', 'CRAM-MD5']).name).toBe('CRAM-MD5')
    expect(chooseMechanism(pw, ['LOGIN', 'PLAIN']).name).toBe('PLAIN')
    expect(chooseMechanism(pw, ['LOGIN']).name).toBe('LOGIN')
  })

  it('AUTO picks XOAUTH2 only with a token', () => {
    expect(chooseMechanism(pw, ['XOAUTH2', 'PLAIN']).name).toBe('PLAIN')
    expect(chooseMechanism({ method: 'AUTO', username: 'u', accessToken: 't' }, ['XOAUTH2', 'PLAIN']).name).toBe('XOAUTH2')
  })

  it('fails clearly when nothing usable is offered', () => {
    expect(() => chooseMechanism(pw, [])).toThrow(expect.objectContaining({ code: 'ERR_SMTP_AUTH', message: expect.stringMatching(/no usable AUTH mechanism/) as string }) as Error)
    expect(() => chooseMechanism(pw, ['XOAUTH2'])).toThrow(/no usable/)
  })

  it('an explicit method must be offered', () => {
    expect(() => chooseMechanism({ ...pw, method: 'CRAM-MD5' }, ['PLAIN'])).toThrow(/does not offer AUTH CRAM-MD5/)
  })
})

describe('authenticate', () => {
  it('refreshes an XOAUTH2 token once after a refusal', async () => {
    const asked: boolean[] = []
    const p = peer([go('e30='), { code: 535, text: 'expired' }, ok])
    const accessToken = async ({ refresh }: { refresh: boolean }) => {
      asked.push(refresh)
      return refresh ? 'fresh' : 'stale'
    }
    await authenticate(p.exchange, { method: 'XOAUTH2', username: 'u', accessToken }, ['XOAUTH2'])
    expect(asked).toEqual([false, true])
    expect(p.sent[2]).toContain(b64('user=u\x01auth=Bearer fresh\x01\x01'))
  })

  it('throws ERR_SMTP_AUTH, transient, with the reply on 535', async () => {
    const p = peer([{ code: 535, enhanced: '5.7.8', text: 'bad' }])
    await expect(authenticate(p.exchange, { method: 'PLAIN', username: 'u', password: 'x' }, ['PLAIN'])).rejects.toMatchObject({
      code: 'ERR_SMTP_AUTH',
      retry: 'transient',
      command: 'AUTH PLAIN',
      reply: { code: 535 },
    })
  })
})

describe('credentials in clear', () => {
  it('are refused to a non-loopback host without encryption', () => {
    expect(mayAuthenticate({ encrypted: false, host: 'smtp.example.com', allowInsecureAuth: false })).toBe(false)
    expect(mayAuthenticate({ encrypted: false, host: '192.0.2.1', allowInsecureAuth: false })).toBe(false)
  })

  it('are allowed when encrypted, when allowInsecureAuth, or to loopback', () => {
    expect(mayAuthenticate({ encrypted: true, host: 'smtp.example.com', allowInsecureAuth: false })).toBe(true)
    expect(mayAuthenticate({ encrypted: false, host: 'smtp.example.com', allowInsecureAuth: true })).toBe(true)
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h)).toBe(true)
    for (const h of ['128.0.0.1', 'localhost.example.com', '::2']) expect(isLoopbackHost(h)).toBe(false)
  })
})
