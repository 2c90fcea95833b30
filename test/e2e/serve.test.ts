import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relaySettings, startRelay, waitFor, type Relay } from '../http/relay.js'
import { api, parseMail, startServe, type ServeProcess } from './support.js'

describe('alertmail serve, end to end', () => {
  let relay: Relay
  let dataDir: string
  let serve: ServeProcess | undefined

  beforeAll(async () => {
    relay = await startRelay()
    dataDir = mkdtempSync(join(tmpdir(), 'alertmail-e2e-'))
  })
  afterAll(async () => {
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL')
    await relay.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('generates the admin token once (0600), delivers an event to a user through the relay, and logs it as sent', async () => {
    serve = await startServe({ ALERTMAIL_DATA_DIR: dataDir })
    const tokenFile = join(dataDir, 'admin-token')
    const token = readFileSync(tokenFile, 'utf8').trim()
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
    expect(serve.stdout().split(token).length - 1).toBe(1)
    const call = api(serve.base, token)

    const user = await call('POST', '/api/v1/users', { name: 'Ana', email: 'ana@example.com', enabled: true, severities: ['critical', 'high'] })
    expect(user.status).toBe(201)
    const put = await call('PUT', '/api/v1/settings/email', relaySettings(relay.port, { socketTimeoutMs: 30_000, connectionTimeoutMs: 30_000, version: 0 }))
    expect(put.status, JSON.stringify(put.json)).toBe(200)

    const posted = await call('POST', '/api/v1/events', { severity: 'critical', title: 'SYN flood towards 203.0.113.10', source: 'edge-3', category: 'ddos' })
    expect(posted.status).toBe(202)

    await waitFor(() => relay.messages.length >= 1, 'the mail at the relay')
    expect(relay.messages[0]).toMatchObject({ from: 'alerts@example.com', to: ['ana@example.com'] })
    expect((await parseMail(relay.messages[0]!.raw)).subject).toContain('SYN flood')

    await waitFor(async () => (await call('GET', '/api/v1/deliveries?status=sent')).json.items.length === 1, 'the delivery log to show it sent')
    const log = await call('GET', '/api/v1/deliveries?status=sent')
    expect(log.json.items[0]).toMatchObject({ recipient: 'ana@example.com', state: 'sent', attempts: 1 })
    const detail = await call('GET', `/api/v1/deliveries/${log.json.items[0].id}`)
    expect(detail.json.attemptLog[0].transcript.length).toBeGreaterThan(0)

    serve.child.kill('SIGTERM')
    expect(await serve.exited).toBe(0)
  })

  it('restarts on the same data dir without printing the token again', async () => {
    serve = await startServe({ ALERTMAIL_DATA_DIR: dataDir })
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()
    expect(serve.stdout()).not.toContain(token)
    const call = api(serve.base, token)
    expect((await call('GET', '/api/v1/users')).json.items).toHaveLength(1)
    serve.child.kill('SIGTERM')
    expect(await serve.exited).toBe(0)
  })
})
