/**
 * An in-process relay (the `smtp-server` package) for HTTP and e2e tests: records every
 * connection and every accepted message, optionally requires AUTH, TLS or STARTTLS.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'

export interface RelayMessage {
  readonly from: string
  readonly to: string[]
  readonly raw: string
}

export interface Relay {
  readonly port: number
  readonly messages: RelayMessage[]
  /** Connections accepted, counted before the greeting. */
  readonly connections: () => number
  /** AUTH attempts with the credentials offered (the test's own secrets). */
  readonly authAttempts: { username: string; password: string }[]
  close(): Promise<void>
}

export interface RelayOptions {
  readonly users?: Readonly<Record<string, string>>
  readonly secure?: boolean
  readonly cert?: { certPem: string; keyPem: string }
  /** Do not offer STARTTLS. */
  readonly noStartTls?: boolean
  /** Refuse RCPT for these addresses with 550 5.1.1. */
  readonly refuse?: readonly string[]
  /** Answer every message with this temporary failure while set (returns a setter). */
  readonly tempFail?: { on: boolean }
  /** Wait this long before answering each message's final dot (a slow relay). */
  readonly dataDelayMs?: number
}

export async function startRelay(opts: RelayOptions = {}): Promise<Relay> {
  const messages: RelayMessage[] = []
  const authAttempts: { username: string; password: string }[] = []
  let connections = 0
  const users = opts.users
  const serverOptions: SMTPServerOptions = {
    secure: opts.secure ?? false,
    ...(opts.cert ? { cert: opts.cert.certPem, key: opts.cert.keyPem } : {}),
    authOptional: users === undefined,
    allowInsecureAuth: true,
    disabledCommands: opts.noStartTls || !opts.cert ? ['STARTTLS'] : [],
    ...(opts.noStartTls ? { hideSTARTTLS: true } : {}),
    logger: false,
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    onConnect(_session, cb) {
      connections++
      cb()
    },
    onAuth(auth, _session, cb) {
      authAttempts.push({ username: auth.username ?? '', password: auth.password ?? '' })
      if (users && auth.username !== undefined && users[auth.username] === auth.password) cb(null, { user: auth.username })
      else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }))
    },
    onRcptTo(address, _session, cb) {
      if (opts.refuse?.includes(address.address)) cb(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }))
      else cb()
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => setTimeout(finish, opts.dataDelayMs ?? 0))
      const finish = () => {
        if (opts.tempFail?.on) {
          cb(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }))
          return
        }
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address
        messages.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') })
        cb()
      }
    },
  }
  const server = new SMTPServer(serverOptions)
  server.on('error', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = ((server as unknown as { server: Server }).server.address() as AddressInfo).port
  return {
    port,
    messages,
    connections: () => connections,
    authAttempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A server that accepts connections and never says anything (a stalled relay). */
export async function startSilentServer(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer((s) => {
    connections++
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Polls until `check` is true (no fixed sleeps in tests). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  detail: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${detail()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * E-Mail settings that send to a plain loopback relay (this file's `startRelay`): no TLS, no AUTH.
 * `over` adds or replaces fields (version, timeouts, maxConnections, retry, …).
 */
export function relaySettings(port: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { enabled: true, host: '127.0.0.1', port, encryption: 'NONE', startTls: false, fromAddress: 'alerts@example.com', ...over }
}
