/**
 * Interop, product path: `alertmail serve` (the built CLI) configured through its API for Postfix
 * with STARTTLS and SASL through Dovecot. The password goes in once (PUT), is sealed at rest, and
 * is unsealed for Send Test Mail and for the delivery worker: both mails reach the Maildirs as
 * authenticated submissions (ESMTPSA). A wrong password shows as ERR_SMTP_AUTH in Send Test Mail.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { api, startServe, stopServe, type Api, type ServeProcess } from '../e2e/support.js'
import { dovecotAvailable, startDovecotAuth, type DovecotAuth } from '../support/dovecot.js'
import { postfixAvailable, startPostfix, type PostfixServer } from '../support/postfix.js'
import { startTlsSettings } from '../support/certs.js'

const DOMAIN = 'alertmail.test'
const USER = `appliance@${DOMAIN}`
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`

let dovecot: DovecotAuth
let pf: PostfixServer
let serve: ServeProcess | undefined
let dataDir: string
let call: Api

async function putSettings(overrides: Record<string, unknown>) {
  const current = await call('GET', '/api/v1/settings/email')
  return call('PUT', '/api/v1/settings/email', {
    enabled: true,
    ...startTlsSettings(pf.host, pf.port, pf.caPem),
    authEnabled: true,
    authMethod: 'AUTO',
    username: USER,
    fromAddress: USER,
    connectionTimeoutMs: 30_000,
    socketTimeoutMs: 30_000,
    ...overrides,
    version: current.json.version,
  })
}

beforeAll(async () => {
  if (!postfixAvailable() || !dovecotAvailable()) {
    throw new Error('these tests need root, /usr/sbin/postfix and /usr/sbin/dovecot: run .ci/run (apt-get install postfix dovecot-core)')
  }
  dovecot = await startDovecotAuth({ users: { [USER]: PASSWORD } })
  pf = await startPostfix({ domain: DOMAIN, users: ['admin', 'noc', 'wrong'], mainCf: dovecot.postfixMainCf })
  dataDir = mkdtempSync(join(tmpdir(), 'alertmail-interop-serve-'))
  const adminToken = `adm_${randomBytes(24).toString('hex')}`
  serve = await startServe({ ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_ADMIN_TOKEN: adminToken })
  call = api(serve.base, adminToken)
}, 180_000)

afterAll(async () => {
  await stopServe(serve)
  await pf?.stop()
  await dovecot?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('alertmail serve → Postfix with Dovecot SASL', { timeout: 120_000 }, () => {
  test('the saved (sealed) password authenticates Send Test Mail and the delivery worker', async () => {
    const put = await putSettings({ password: PASSWORD })
    expect(put.status, JSON.stringify(put.json)).toBe(200)
    expect(put.json.passwordSet).toBe(true)
    expect(JSON.stringify(put.json)).not.toContain(PASSWORD)
    // Encrypted at rest: no file of the data dir (database, WAL, key) holds the password in clear.
    const files = readdirSync(dataDir, { withFileTypes: true }).filter((f) => f.isFile())
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) expect(readFileSync(join(dataDir, f.name)).includes(PASSWORD), `${f.name} holds the password in clear`).toBe(false)

    const test = await call('POST', '/api/v1/settings/email/test', { to: pf.address('admin') })
    expect(test.status).toBe(200)
    expect(test.json.ok, JSON.stringify(test.json.error)).toBe(true)
    expect(test.json.steps.find((s: { step: string }) => s.step === 'auth')).toMatchObject({ ok: true })
    expect(JSON.stringify(test.json)).not.toContain(PASSWORD)
    const [testMail] = await pf.waitForMessages('admin', 1)
    expect(testMail!.toString()).toMatch(/^Received: from [^]*?with ESMTPSA /m)
    expect(testMail!.toString()).toContain(`(Authenticated sender: ${USER})`)

    const user = await call('POST', '/api/v1/users', { name: 'NOC', email: pf.address('noc'), enabled: true, severities: ['critical'] })
    expect(user.status, JSON.stringify(user.json)).toBe(201)
    const event = await call('POST', '/api/v1/events', { severity: 'critical', title: 'HTTP flood on www', source: 'waf-1' })
    expect(event.status).toBe(202)
    const [alert] = await pf.waitForMessages('noc', 1)
    expect(alert!.toString()).toContain(`(Authenticated sender: ${USER})`)
    expect((await simpleParser(alert!)).subject).toBe('[CRITICAL] HTTP flood on www — waf-1')
  })

  test('a wrong saved password: Send Test Mail reports ERR_SMTP_AUTH at the auth step, nothing delivered', async () => {
    const put = await putSettings({ password: 'not-the-password' })
    expect(put.status, JSON.stringify(put.json)).toBe(200)
    const test = await call('POST', '/api/v1/settings/email/test', { to: pf.address('wrong') })
    expect(test.status).toBe(200)
    expect(test.json.ok).toBe(false)
    expect(test.json.error).toMatchObject({ code: 'ERR_SMTP_AUTH', reply: { code: 535 } })
    expect(test.json.steps.find((s: { step: string }) => s.step === 'auth')).toMatchObject({ ok: false })
    expect(test.json.steps.some((s: { step: string }) => s.step === 'mail')).toBe(false)
    expect(JSON.stringify(test.json)).not.toContain('not-the-password')
    expect(await pf.messages('wrong')).toHaveLength(0)
  })
})
