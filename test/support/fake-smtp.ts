import net from 'node:net'
import tls from 'node:tls'

/**
 * A scripted loopback SMTP server for wire tests (STYLE.md §2.7). It records exactly what the
 * client sends (commands, message bytes, TCP chunk boundaries) and answers per script.
 *
 * An Action is a reply (full lines, `\n`-separated, codes included: use `reply()`), or:
 * - `{ stall: true }`  never answer (the client's socket timeout must fire);
 * - `{ drop: true }`   destroy the connection instead of answering;
 * - `{ reply, pieces }` write the reply bytes in `pieces` separate writes (split TCP packets);
 * - `{ reply, hold: true }` answer only when the next command line arrives (proves pipelining).
 */
export type Action = string | { readonly reply?: string; readonly stall?: true; readonly drop?: true; readonly pieces?: number; readonly hold?: true }

export interface Ctx {
  readonly line: string
  readonly conn: FakeConnection
  /** How many times this verb came before on this connection (0-based). */
  readonly index: number
}

type Handler = Action | ((ctx: Ctx) => Action)

export interface FakeScript {
  readonly greeting?: Handler
  /** EHLO keywords after the first line; default none. */
  readonly extensions?: readonly string[]
  readonly ehlo?: Handler
  readonly helo?: Handler
  readonly starttls?: Handler
  readonly auth?: Handler
  readonly mail?: Handler
  readonly rcpt?: Handler
  readonly data?: Handler
  /** The reply to the end of data (after the final dot). */
  readonly dataDone?: Handler
  readonly bdat?: Handler
  readonly rset?: Handler
  readonly noop?: Handler
  readonly quit?: Handler
  readonly other?: Handler
  /** Server certificate for STARTTLS (from makeTestCerts()). */
  readonly tls?: { readonly key: string; readonly cert: string }
}

/** `reply(250, 'a', 'b')` ⇒ "250-a\n250 b". */
export function reply(code: number, ...lines: string[]): string {
  const ls = lines.length === 0 ? [''] : lines
  return ls.map((l, i) => `${code}${i === ls.length - 1 ? ' ' : '-'}${l}`).join('\n')
}

export interface FakeConnection {
  readonly id: number
  /** Command lines in arrival order (message content excluded). */
  readonly commands: string[]
  /** Message contents as stored (DATA unstuffed, BDAT chunks joined). */
  readonly messages: Buffer[]
  /** Raw bytes per TCP read, before TLS only. */
  readonly chunks: Buffer[]
  /** Ordered log: `C: line`, `S: line`, `* tls`, `* data <n>`, `* close`. */
  readonly events: string[]
  secure: boolean
  closed: boolean
  /** Writes a reply now (after a `stall`), e.g. to release a held QUIT. */
  send(text: string): void
}

export interface FakeSmtp {
  readonly port: number
  readonly connections: FakeConnection[]
  /** Every command on every connection, in order. */
  commands(): string[]
  /** Resolves when `test()` holds, checking after every event (no fixed sleeps). */
  waitFor(test: () => boolean, what?: string): Promise<void>
  close(): Promise<void>
}

const DEFAULTS: Required<Omit<FakeScript, 'extensions' | 'tls' | 'ehlo'>> = {
  greeting: reply(220, 'fake.test ESMTP'),
  helo: reply(250, 'fake.test'),
  starttls: reply(220, '2.0.0 Ready to start TLS'),
  auth: reply(235, '2.7.0 Authentication successful'),
  mail: reply(250, '2.1.0 Ok'),
  rcpt: reply(250, '2.1.5 Ok'),
  data: reply(354, 'End data with <CR><LF>.<CR><LF>'),
  dataDone: reply(250, '2.0.0 Ok: queued'),
  bdat: reply(250, '2.0.0 Ok'),
  rset: reply(250, '2.0.0 Ok'),
  noop: reply(250, '2.0.0 Ok'),
  quit: reply(221, '2.0.0 Bye'),
  other: reply(502, '5.5.2 Error: command not recognized'),
}

export async function startFakeSmtp(script: FakeScript = {}): Promise<FakeSmtp> {
  const connections: FakeConnection[] = []
  const sockets = new Set<net.Socket>()
  const listeners = new Set<() => void>()
  const changed = () => listeners.forEach((l) => l())
  const server = net.createServer((socket) => {
    sockets.add(socket)
    const conn: FakeConnection = { id: connections.length, commands: [], messages: [], chunks: [], events: [], secure: false, closed: false, send: () => {} }
    connections.push(conn)
    serve(socket, conn, script, changed)
    changed()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    connections,
    commands: () => connections.flatMap((c) => c.commands),
    waitFor: (test, what = 'condition') =>
      new Promise<void>((resolve, reject) => {
        if (test()) return resolve()
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`fake-smtp: timed out waiting for ${what}`))
        }, 20_000)
        const check = () => {
          if (!test()) return
          clearTimeout(timer)
          listeners.delete(check)
          resolve()
        }
        listeners.add(check)
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

function serve(raw: net.Socket, conn: FakeConnection, script: FakeScript, changed: () => void): void {
  let socket: net.Socket = raw
  let buf: Buffer = Buffer.alloc(0)
  let mode: { kind: 'command' } | { kind: 'data' } | { kind: 'bdat'; left: number; last: boolean } = { kind: 'command' }
  let held: string | undefined
  let stalled = false
  let content: Buffer[] = []
  const counts = new Map<string, number>()
  socket.setNoDelay(true)

  const log = (e: string) => {
    conn.events.push(e)
    changed()
  }
  const write = (text: string, pieces = 1) => {
    for (const l of text.split('\n')) log(`S: ${l}`)
    const bytes = Buffer.from(text.replaceAll('\n', '\r\n') + '\r\n', 'utf8')
    if (pieces <= 1) {
      socket.write(bytes)
      return
    }
    const size = Math.ceil(bytes.length / pieces)
    let i = 0
    const next = () => {
      if (i >= bytes.length || socket.destroyed) return
      socket.write(bytes.subarray(i, i + size))
      i += size
      setTimeout(next, 5)
    }
    next()
  }
  conn.send = (text) => write(text)
  // Transaction state, so the default DATA reply is what RFC 2920 §3.1 demands of a real server.
  let bdatLast = false
  let mailOk = false
  let rcptOk = 0
  const act = (verb: keyof typeof DEFAULTS | 'ehlo', line: string): boolean => {
    const index = counts.get(verb) ?? 0
    counts.set(verb, index + 1)
    let handler: Handler = verb === 'ehlo' ? script.ehlo ?? reply(250, 'fake.test', ...(script.extensions ?? [])) : script[verb] ?? DEFAULTS[verb]
    if ((verb === 'data' || verb === 'bdat') && script[verb] === undefined && (!mailOk || rcptOk === 0)) handler = reply(503, '5.5.1 Error: need RCPT command')
    const action = typeof handler === 'function' ? handler({ line, conn, index }) : handler
    const ok = typeof action === 'string' ? /^[23]/.test(action) : /^[23]/.test(action.reply ?? '') && action.stall !== true && action.drop !== true
    if (verb === 'mail') mailOk = ok
    if (verb === 'rcpt' && ok) rcptOk++
    if (verb === 'rset' || verb === 'dataDone' || verb === 'ehlo' || verb === 'helo' || (verb === 'bdat' && bdatLast)) {
      mailOk = false
      rcptOk = 0
    }
    if (typeof action === 'string') {
      write(action)
      return ok
    }
    if (action.drop === true) {
      socket.destroy()
      return false
    }
    if (action.stall === true) {
      stalled = true
      return false
    }
    const text = action.reply ?? ''
    if (action.hold === true) held = text
    else write(text, action.pieces)
    return text.startsWith('2') || text.startsWith('3')
  }

  const onLine = (line: string) => {
    conn.commands.push(line)
    log(`C: ${line}`)
    if (held !== undefined) {
      write(held)
      held = undefined
    }
    if (stalled) return
    const verb = line.split(' ', 1)[0]?.toUpperCase() ?? ''
    if (verb === 'EHLO') act('ehlo', line)
    else if (verb === 'HELO') act('helo', line)
    else if (verb === 'MAIL') act('mail', line)
    else if (verb === 'RCPT') act('rcpt', line)
    else if (verb === 'RSET') act('rset', line)
    else if (verb === 'NOOP') act('noop', line)
    else if (verb === 'AUTH') act('auth', line)
    else if (verb === 'QUIT') act('quit', line)
    else if (verb === 'DATA') {
      if (act('data', line)) mode = { kind: 'data' }
    } else if (verb === 'BDAT') {
      const [, size, last] = line.split(' ')
      mode = { kind: 'bdat', left: Number(size), last: last?.toUpperCase() === 'LAST' }
    } else if (verb === 'STARTTLS' && script.tls !== undefined) {
      if (act('starttls', line)) upgrade()
    } else act('other', line)
  }

  const upgrade = () => {
    const tlsOpts = script.tls as { key: string; cert: string }
    socket.off('data', onData)
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: tls.createSecureContext(tlsOpts) })
    secure.on('secure', () => {
      conn.secure = true
      log('* tls')
    })
    secure.on('error', () => secure.destroy())
    secure.on('data', onData)
    socket = secure
    buf = Buffer.alloc(0)
  }

  const pump = () => {
    for (;;) {
      if (mode.kind === 'command') {
        const lf = buf.indexOf(0x0a)
        if (lf < 0) return
        const line = buf.toString('utf8', 0, lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf)
        buf = buf.subarray(lf + 1)
        onLine(line)
      } else if (mode.kind === 'data') {
        const atStart = buf.subarray(0, 3).toString('latin1') === '.\r\n' && content.length === 0
        const joined = Buffer.concat([...content, buf])
        const end = atStart ? -2 : joined.indexOf('\r\n.\r\n')
        if (!atStart && end < 0) return
        const body = joined.subarray(0, end + 2)
        buf = joined.subarray(end + 5)
        content = []
        conn.messages.push(Buffer.from(body.toString('latin1').replace(/(^|\r\n)\.\./g, '$1.'), 'latin1'))
        log(`* data ${body.length}`)
        mode = { kind: 'command' }
        act('dataDone', '.')
      } else {
        if (buf.length < mode.left) return
        content.push(buf.subarray(0, mode.left))
        buf = buf.subarray(mode.left)
        const last = mode.last
        bdatLast = last
        mode = { kind: 'command' }
        if (act('bdat', 'BDAT') && last) {
          conn.messages.push(Buffer.concat(content))
          log(`* data ${conn.messages.at(-1)?.length ?? 0}`)
        }
        if (last) content = []
      }
    }
  }

  function onData(chunk: Buffer): void {
    if (socket === raw) conn.chunks.push(chunk)
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    pump()
  }

  raw.on('data', onData)
  raw.on('error', () => raw.destroy())
  raw.on('close', () => {
    conn.closed = true
    log('* close')
  })
  const index = 0
  const g = script.greeting ?? DEFAULTS.greeting
  const greeting: Action = typeof g === 'function' ? g({ line: '', conn, index }) : g
  if (typeof greeting === 'string') write(greeting)
  else if (greeting.drop === true) raw.destroy()
  else if (greeting.stall !== true) write(greeting.reply ?? '', greeting.pieces)
}
