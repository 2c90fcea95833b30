import diagnostics from 'node:diagnostics_channel'
import net from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkServer, sendWithReport, SmtpClient, SmtpPool } from '../../src/smtp/index.js'
import { makeTestCerts, type TestCerts } from '../support/certs.js'
import { reply, type FakeScript } from '../support/fake-smtp.js'
import { ENVELOPE, failure, MESSAGE, options, useFakeSmtp } from './helpers.js'

const fake = useFakeSmtp()
let certs: TestCerts
beforeAll(() => {
  certs = makeTestCerts()
})

const SECRET = 'hunter2-secret'
const PLAIN = Buffer.from(`\0alice\0${SECRET}`).toString('base64')
const tlsAuth = (): FakeScript => ({
  tls: { key: certs.keyPem, cert: certs.certPem },
  ehlo: ({ conn }) => (conn.secure ? reply(250, 'fake.test', 'AUTH PLAIN', 'PIPELINING') : reply(250, 'fake.test', 'STARTTLS')),
})
const authOpts = (port: number) =>
  options(port, { encryption: 'TLS', startTls: true, tlsCa: certs.caPem, auth: { method: 'PLAIN', username: 'alice', password: SECRET } })

describe('sendWithReport', () => {
  it('reports every step of a whole session and a transcript without secrets', async () => {
    const s = await fake(tlsAuth())
    const report = await sendWithReport(authOpts(s.port), ENVELOPE, MESSAGE)
    expect(report.ok).toBe(true)
    expect(report.steps.map((st) => st.step)).toEqual(['connect', 'greeting', 'ehlo', 'starttls', 'ehlo', 'auth', 'mail', 'rcpt', 'data', 'quit'])
    expect(report.steps.every((st) => st.ok && st.ms >= 0)).toBe(true)
    expect(report.steps.find((st) => st.step === 'data')?.reply).toBe('250 2.0.0 Ok: queued')
    expect(report.result?.accepted).toEqual(['b@example.com'])
    const text = JSON.stringify(report)
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(PLAIN)
    expect(report.transcript.map((e) => `${e.dir} ${e.line}`)).toContain('C AUTH PLAIN ****')
    expect(report.transcript.some((e) => e.dir === '*' && e.line.startsWith('TLS established'))).toBe(true)
    expect(s.commands()).toContain(`AUTH PLAIN ${PLAIN}`)
  })

  it('never throws: a refused greeting is an error summary and a failed step', async () => {
    const s = await fake({ greeting: reply(554, '5.7.1 go away') })
    const report = await sendWithReport(options(s.port), ENVELOPE, MESSAGE)
    expect(report.ok).toBe(false)
    expect(report.error).toMatchObject({ code: 'ERR_SMTP_REJECTED', retry: 'permanent', command: 'greeting', reply: { code: 554, enhanced: '5.7.1' } })
    expect(report.steps.at(-1)).toMatchObject({ step: 'greeting', ok: false, reply: '554 5.7.1 go away' })
  })

  it('never throws: a refused connection', async () => {
    const srv = net.createServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as net.AddressInfo).port
    await new Promise<void>((r) => srv.close(() => r()))
    const report = await sendWithReport(options(port), ENVELOPE, MESSAGE)
    expect(report).toMatchObject({ ok: false, error: { code: 'ERR_SMTP_CONNECT', retry: 'transient' }, steps: [{ step: 'connect', ok: false }] })
  })

  it('reports refused recipients in the result and quits after a failed transaction', async () => {
    const s = await fake({ rcpt: reply(550, '5.1.1 unknown') })
    const report = await sendWithReport(options(s.port), ENVELOPE, MESSAGE)
    expect(report.error).toMatchObject({ code: 'ERR_SMTP_REJECTED', command: 'RCPT TO' })
    expect(s.connections[0]!.commands.slice(-2)).toEqual(['RSET', 'QUIT'])
  })
})

describe('checkServer', () => {
  it('reports capabilities and TLS details without sending MAIL', async () => {
    const s = await fake(tlsAuth())
    const report = await checkServer(authOpts(s.port))
    expect(report.ok).toBe(true)
    expect(report.capabilities).toMatchObject({ auth: ['PLAIN'], pipelining: true, startTls: false })
    expect(report.tls).toMatchObject({ authorized: true })
    expect(s.commands().some((c) => c.startsWith('MAIL'))).toBe(false)
  })
})

describe('diagnostics_channel', () => {
  it('publishes connect, command, reply and error with secrets redacted at the source', async () => {
    const seen: Record<string, unknown[]> = { connect: [], command: [], reply: [], error: [] }
    const subs = Object.keys(seen).map((name) => {
      const fn = (m: unknown) => seen[name]!.push(m)
      diagnostics.subscribe(`smtp:${name}`, fn)
      return () => diagnostics.unsubscribe(`smtp:${name}`, fn)
    })
    try {
      const s = await fake({ ...tlsAuth(), mail: reply(451, '4.3.0 later') })
      await sendWithReport(authOpts(s.port), ENVELOPE, MESSAGE)
    } finally {
      subs.forEach((u) => u())
    }
    expect(seen.connect).toHaveLength(1)
    expect(seen.command!.map((m) => (m as { line: string }).line)).toContain('AUTH PLAIN ****')
    expect(seen.reply!.length).toBeGreaterThan(3)
    expect(seen.error!.map((m) => (m as { error: { code: string } }).error.code)).toEqual(['ERR_SMTP_REJECTED'])
    const all = JSON.stringify(seen, (_k, v: unknown) => (v instanceof Error ? v.message : v))
    expect(all).not.toContain(SECRET)
    expect(all).not.toContain(PLAIN)
  })
})

describe('AbortSignal', () => {
  it('cancels a send waiting for the end-of-data reply', async () => {
    const s = await fake({ dataDone: { stall: true } })
    const client = await SmtpClient.connect(options(s.port, { socketTimeoutMs: 0 }))
    const ac = new AbortController()
    const sending = failure(client.send(ENVELOPE, MESSAGE, { signal: ac.signal }))
    await s.waitFor(() => s.connections[0]!.messages.length === 1, 'message')
    ac.abort()
    expect(await sending).toMatchObject({ code: 'ERR_SMTP_ABORTED', retry: 'transient' })
    expect(client.alive).toBe(false)
  })

  it('an already-aborted signal sends nothing', async () => {
    const s = await fake({})
    const client = await SmtpClient.connect(options(s.port))
    const e = await failure(client.send(ENVELOPE, MESSAGE, { signal: AbortSignal.abort() }))
    await client.quit()
    expect(e.code).toBe('ERR_SMTP_ABORTED')
    expect(s.connections[0]!.commands).toEqual(['EHLO client.test', 'QUIT'])
  })
})

describe('SmtpPool edges', () => {
  it('a burst after an idle period: liveness check first, then pipelined messages', async () => {
    const s = await fake({ extensions: ['PIPELINING'] })
    const pool = new SmtpPool(options(s.port, { maxConnections: 1 }))
    await pool.send(ENVELOPE, MESSAGE)
    const rs = await Promise.all([1, 2, 3, 4].map(() => pool.send(ENVELOPE, MESSAGE)))
    await pool.close()
    expect(rs.every((r) => r.reply.code === 250)).toBe(true)
    expect(s.connections).toHaveLength(1)
    expect(s.connections[0]!.commands.filter((c) => c === 'NOOP')).toHaveLength(1)
    expect(s.connections[0]!.messages).toHaveLength(5)
  })

  it('fails the waiting messages with the reason when no connection can be made', async () => {
    const srv = net.createServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as net.AddressInfo).port
    await new Promise<void>((r) => srv.close(() => r()))
    const pool = new SmtpPool(options(port))
    const es = await Promise.all([1, 2].map(() => failure(pool.send(ENVELOPE, MESSAGE))))
    await pool.close()
    expect(es.map((e) => e.code)).toEqual(['ERR_SMTP_CONNECT', 'ERR_SMTP_CONNECT'])
  })

  it('refuses sends after close()', async () => {
    const s = await fake({})
    const pool = new SmtpPool(options(s.port))
    await pool.send(ENVELOPE, MESSAGE)
    await pool.close()
    expect((await failure(pool.send(ENVELOPE, MESSAGE))).code).toBe('ERR_SMTP_ABORTED')
    await s.waitFor(() => s.connections[0]!.closed, 'close')
    expect(s.connections[0]!.commands.at(-1)).toBe('QUIT')
  })

  it('an invalid envelope fails alone, without touching the connection', async () => {
    const s = await fake({})
    const pool = new SmtpPool(options(s.port))
    const e = await failure(pool.send({ from: 'a@example.com', to: ['x@y\r\nRSET'] }, MESSAGE))
    const ok = await pool.send(ENVELOPE, MESSAGE)
    await pool.close()
    expect([e.code, e.retry]).toEqual(['ERR_SMTP_ENVELOPE', 'permanent'])
    expect(ok.reply.code).toBe(250)
    expect(s.commands().filter((c) => c.startsWith('RCPT'))).toEqual(['RCPT TO:<b@example.com>'])
  })
})
