#!/usr/bin/env node
// SIGKILL soak (issue 6 §4; not in CI): runs the built `alertmail serve` as a child on one data
// dir, posts critical events, kills it with SIGKILL while it delivers, restarts it, 20 times (or
// SOAK_KILLS), then lets a last instance drain and checks that every accepted event's notification
// reached the relay. Prints the counts as one JSON line; exits 1 when any message is lost.
//
// Plain JavaScript on purpose: Node 20 cannot run TypeScript directly and scripts/ is outside the
// TypeScript project, so this file needs no build step of its own (it needs `npm run build`).
//
// Env: SOAK_KILLS (20), SOAK_EVENTS_PER_ROUND (60), SOAK_DRAIN_TIMEOUT_MS (300000).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'

const ROOT = join(import.meta.dirname, '..')
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js')
const KILLS = Number(process.env.SOAK_KILLS ?? 20)
const PER_ROUND = Number(process.env.SOAK_EVENTS_PER_ROUND ?? 60)
const DRAIN_TIMEOUT_MS = Number(process.env.SOAK_DRAIN_TIMEOUT_MS ?? 300_000)
const TOKEN = `soak-admin-token-${process.pid}-0123456789`

if (!existsSync(MAIN)) {
  console.error(`${MAIN} is missing: run \`npm run build\` first`)
  process.exit(2)
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** The relay: smtp-server on port 0, a few ms per message so deliveries are in flight at the kill. */
async function startRelay() {
  const messages = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks = []
      stream.on('data', (c) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        setTimeout(() => {
          messages.push(raw)
          callback()
        }, 3 + Math.floor(Math.random() * 10))
      })
    },
  })
  // A SIGKILLed client resets its connections: expected here, not a relay failure.
  server.on('error', () => {})
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: server.server.address().port, messages, close: () => new Promise((r) => server.close(() => r())) }
}

async function startServe(dataDir) {
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: { PATH: process.env.PATH ?? '', ALERTMAIL_HOST: '127.0.0.1', ALERTMAIL_PORT: '0', ALERTMAIL_DATA_DIR: dataDir, ALERTMAIL_ADMIN_TOKEN: TOKEN, ALERTMAIL_WORKER_LEASE_MS: '3000', ALERTMAIL_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (c) => (out = (out + c).slice(-1_000_000)))
  child.stderr.setEncoding('utf8').on('data', (c) => (err = (err + c).slice(-10_000)))
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)))
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out.slice(-2000)}`)), 60_000)
    const check = () => {
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"alertmail listening"/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout.on('data', check)
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening:\n${out.slice(-2000)}\n${err}`)))
  })
  return { child, base, exited }
}

function api(base) {
  return async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, json: text ? JSON.parse(text) : undefined }
  }
}

function titleOf(raw) {
  // The subject is RFC 2047 encoded only when non-ASCII; our titles are ASCII, possibly folded.
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ')
  return /^Subject:.*?(soak-\d+-\d+)/im.exec(head)?.[1]
}
function messageIdOf(raw) {
  return /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1]
}

const relay = await startRelay()
const dataDir = mkdtempSync(join(tmpdir(), 'alertmail-soak-'))
const accepted = new Set()
let refused = 0
let kills = 0
let killedInFlight = 0 // this round's events not yet at the relay when it was killed, summed
const started = Date.now()
try {
  let serve = await startServe(dataDir)
  let call = api(serve.base)
  const user = await call('POST', '/api/v1/users', { name: 'On Call', email: 'oncall@example.test', enabled: true, severities: ['critical'] })
  if (user.status !== 201) throw new Error(`user: ${user.status} ${JSON.stringify(user.json)}`)
  const put = await call('PUT', '/api/v1/settings/email', {
    enabled: true, host: '127.0.0.1', port: relay.port, encryption: 'NONE', startTls: false,
    fromAddress: 'alerts@soak.test', socketTimeoutMs: 30_000, connectionTimeoutMs: 10_000, maxConnections: 4, version: 0,
  })
  if (put.status !== 200) throw new Error(`settings: ${put.status} ${JSON.stringify(put.json)}`)

  for (let round = 0; round < KILLS; round++) {
    const events = Array.from({ length: PER_ROUND }, (_, i) => {
      const title = `soak-${round}-${i}`
      return { severity: 'critical', title, source: `edge-${round}-${i}`, dedupKey: title }
    })
    const before = relay.messages.length
    const r = await call('POST', '/api/v1/events', events)
    if (r.status === 202) for (const e of events) accepted.add(e.title)
    else refused += events.length
    // Kill mid-delivery: once some of this round's mail arrived but (most likely) not all of it.
    const target = before + Math.max(1, Math.floor(PER_ROUND / 4) + Math.floor(Math.random() * (PER_ROUND / 2)))
    const deadline = Date.now() + 30_000
    while (relay.messages.length < target && Date.now() < deadline) await sleep(2)
    serve.child.kill('SIGKILL')
    await serve.exited
    kills++
    const got = new Set(relay.messages.map(titleOf))
    killedInFlight += events.filter((e) => !got.has(e.title)).length
    serve = await startServe(dataDir)
    call = api(serve.base)
  }

  // The last instance drains everything.
  const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS
  for (;;) {
    const got = new Set(relay.messages.map(titleOf))
    const missing = [...accepted].filter((t) => !got.has(t)).length
    if (missing === 0) break
    if (Date.now() > drainDeadline) break
    await sleep(200)
  }
  const health = await call('GET', '/api/v1/health')
  serve.child.kill('SIGTERM')
  const exit = await serve.exited

  const byTitle = new Map()
  for (const raw of relay.messages) {
    const t = titleOf(raw)
    if (t === undefined) continue
    byTitle.set(t, [...(byTitle.get(t) ?? []), messageIdOf(raw)])
  }
  const lost = [...accepted].filter((t) => !byTitle.has(t))
  const duplicates = [...byTitle.values()].filter((ids) => ids.length > 1)
  const duplicateWithNewId = duplicates.filter((ids) => new Set(ids).size > 1).length
  const result = {
    kills,
    eventsAccepted: accepted.size,
    eventsRefused: refused,
    notYetDeliveredAtKill: killedInFlight,
    messagesAtRelay: relay.messages.length,
    delivered: [...accepted].filter((t) => byTitle.has(t)).length,
    messagesLost: lost.length,
    duplicates: duplicates.length,
    duplicatesWithDifferentMessageId: duplicateWithNewId,
    queueDepthAtEnd: health.json?.queueDepth,
    sigtermExit: exit,
    seconds: Math.round((Date.now() - started) / 1000),
  }
  console.log(JSON.stringify(result))
  if (lost.length > 0) console.error(`lost: ${lost.slice(0, 20).join(', ')}`)
  process.exitCode = lost.length === 0 && duplicateWithNewId === 0 ? 0 : 1
} finally {
  await relay.close()
  rmSync(dataDir, { recursive: true, force: true })
}
