import net from 'node:net'

/**
 * A scripted hostile SMTP relay (issue 6 §3) on node:net, 127.0.0.1, port 0. Where
 * test/support/fake-smtp.ts plays a correct server with scripted answers, this one breaks the
 * protocol on purpose: floods, giant lines, replies nobody asked for, wrong codes, one byte at
 * a time, STARTTLS offered then refused, silence after the final dot.
 *
 * Every flood honours TCP back-pressure (it writes only when the socket drained), so the
 * relay itself holds at most one chunk in memory and what the tests measure is the client.
 */
export const HOSTILE_SCENARIOS = [
  /** Greets with 220- continuation lines forever. */
  'endless-greeting',
  /** Normal greeting; answers EHLO with 250- continuation lines forever. */
  'endless-ehlo',
  /** Greeting "220 " followed by a 10 MB line that never ends. */
  'huge-line',
  /** Greets, then sends a burst of 250 replies before any command arrives. */
  'replies-before-command',
  /** Answers the first command after the greeting with replies for commands not yet sent. */
  'replies-ahead',
  /** Greets with 250 (not 220). */
  'wrong-greeting-code',
  /** Answers DATA with 250 instead of 354. */
  'wrong-data-code',
  /** Answers EHLO with a code outside 2xx–5xx ("999"). */
  'impossible-code',
  /** Greeting and every reply one byte every `dripMs`; the reply line never ends. */
  'slowloris',
  /** Complete continuation lines ("250-x"), one every `dripMs`, never the last line. */
  'slowloris-lines',
  /** Offers STARTTLS, then refuses it with 454. */
  'starttls-refused',
  /** Does not offer STARTTLS at all (stripped by a man in the middle). */
  'starttls-stripped',
  /** Says 220 to STARTTLS, then keeps talking clear text instead of a TLS handshake. */
  'starttls-then-clear',
  /** Says 220 to STARTTLS and sends an injected reply in the same packet (CVE-2011-0411). */
  'starttls-injection',
  /** Reads the whole message, then closes at the final dot without a reply. */
  'close-after-dot',
] as const
export type HostileScenario = (typeof HOSTILE_SCENARIOS)[number]

export interface HostileOptions {
  /** Delay between bytes/lines for the slowloris scenarios. Default 50 ms. */
  readonly dripMs?: number
  /** Size of the huge line. Default 10 MB. */
  readonly hugeBytes?: number
  /** For close-after-dot: only the first `n` connections drop; later ones answer 250. Default Infinity. */
  readonly dropFirst?: number
}

export interface HostileConnection {
  readonly id: number
  /** Command lines as received (message content excluded). */
  readonly commands: string[]
  /** Complete messages received (until the final dot, still dot-stuffed). */
  readonly messages: Buffer[]
  /** Bytes this relay managed to write to the client. */
  bytesWritten: number
  closed: boolean
}

export interface HostileSmtp {
  readonly port: number
  readonly connections: HostileConnection[]
  /** Every command line on every connection, in order. */
  commands(): string[]
  close(): Promise<void>
}

const CHUNK = 64 * 1024

export async function startHostileSmtp(scenario: HostileScenario, opts: HostileOptions = {}): Promise<HostileSmtp> {
  const connections: HostileConnection[] = []
  const sockets = new Set<net.Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    const conn: HostileConnection = { id: connections.length, commands: [], messages: [], bytesWritten: 0, closed: false }
    connections.push(conn)
    socket.on('close', () => (conn.closed = true))
    play(scenario, opts, socket, conn, timers)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    connections,
    commands: () => connections.flatMap((c) => c.commands),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

function play(scenario: HostileScenario, opts: HostileOptions, socket: net.Socket, conn: HostileConnection, timers: Set<NodeJS.Timeout>): void {
  const dripMs = opts.dripMs ?? 50
  const write = (text: string): void => {
    if (socket.destroyed) return
    const bytes = Buffer.from(text, 'utf8')
    conn.bytesWritten += bytes.length
    socket.write(bytes)
  }
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    timers.add(t)
  }
  /** Writes `next()` chunks while the socket drains, until it returns undefined or the socket dies. */
  const flood = (next: () => Buffer | undefined): void => {
    const pump = (): void => {
      for (;;) {
        if (socket.destroyed) return
        const chunk = next()
        if (chunk === undefined) return
        conn.bytesWritten += chunk.length
        if (!socket.write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
    }
    pump()
  }
  /** One byte (or one line) every dripMs, forever. */
  const drip = (units: () => string): void => {
    const tick = (): void => {
      if (socket.destroyed) return
      write(units())
      later(dripMs, tick)
    }
    tick()
  }

  // Command reader: lines, or message content after a 354.
  let buf: Buffer = Buffer.alloc(0)
  let inData = false
  let onCommand: (line: string) => void = () => {}
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    for (;;) {
      if (inData) {
        const end = buf.indexOf('\r\n.\r\n')
        const atStart = buf.subarray(0, 3).toString('latin1') === '.\r\n'
        if (end < 0 && !atStart) return
        const cutAt = atStart ? 0 : end + 2
        conn.messages.push(buf.subarray(0, cutAt))
        buf = buf.subarray(cutAt + 3)
        inData = false
        onCommand('.')
        continue
      }
      const lf = buf.indexOf(0x0a)
      if (lf < 0) return
      const line = buf.toString('utf8', 0, lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf)
      buf = buf.subarray(lf + 1)
      conn.commands.push(line)
      onCommand(line)
    }
  })

  /** A well-behaved answer for anything the scenario does not care about. */
  const normal = (line: string, ext: readonly string[] = ['PIPELINING', 'ENHANCEDSTATUSCODES', '8BITMIME']): void => {
    const verb = line.split(' ', 1)[0]?.toUpperCase()
    if (verb === 'EHLO') write(['250-hostile.test', ...ext.map((e, i) => `250${i === ext.length - 1 ? ' ' : '-'}${e}`)].join('\r\n') + '\r\n')
    else if (verb === 'HELO') write('250 hostile.test\r\n')
    else if (verb === 'DATA') {
      write('354 go ahead\r\n')
      inData = true
    } else if (verb === 'QUIT') {
      write('221 2.0.0 bye\r\n')
      socket.end()
    } else if (line === '.') write('250 2.0.0 queued\r\n')
    else write('250 2.0.0 ok\r\n')
  }

  switch (scenario) {
    case 'endless-greeting': {
      const line = Buffer.from('220-hostile.test still greeting you, please keep reading\r\n')
      const block = Buffer.concat(Array.from({ length: Math.floor(CHUNK / line.length) }, () => line))
      flood(() => block)
      return
    }
    case 'endless-ehlo': {
      write('220 hostile.test ESMTP\r\n')
      const line = Buffer.from('250-X-PADDING keyword after keyword after keyword\r\n')
      const block = Buffer.concat(Array.from({ length: Math.floor(CHUNK / line.length) }, () => line))
      onCommand = (l) => (/^EHLO/i.test(l) ? flood(() => block) : normal(l))
      return
    }
    case 'huge-line': {
      let left = opts.hugeBytes ?? 10 * 1024 * 1024
      const block = Buffer.alloc(CHUNK, 0x61)
      write('220 ')
      flood(() => {
        if (left <= 0) return undefined
        left -= block.length
        return block
      })
      return
    }
    case 'replies-before-command':
      write('220 hostile.test ESMTP\r\n250 2.0.0 ok\r\n250 2.0.0 ok\r\n354 go ahead\r\n250 2.0.0 queued\r\n')
      onCommand = (l) => normal(l)
      return
    case 'replies-ahead': {
      write('220 hostile.test ESMTP\r\n')
      let first = true
      onCommand = (l) => {
        if (first && /^EHLO/i.test(l)) {
          first = false
          // The EHLO reply plus answers to MAIL, RCPT, DATA and the final dot, all at once.
          write('250-hostile.test\r\n250 PIPELINING\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n250 2.0.0 queued as FAKE\r\n')
          return
        }
        normal(l)
      }
      return
    }
    case 'wrong-greeting-code':
      write('250 hostile.test pretends the greeting went fine\r\n')
      onCommand = (l) => normal(l)
      return
    case 'wrong-data-code':
      write('220 hostile.test ESMTP\r\n')
      onCommand = (l) => (/^DATA/i.test(l) ? write('250 2.0.0 sure\r\n') : normal(l, ['ENHANCEDSTATUSCODES']))
      return
    case 'impossible-code':
      write('220 hostile.test ESMTP\r\n')
      onCommand = (l) => (/^EHLO/i.test(l) ? write('999 what\r\n') : normal(l))
      return
    case 'slowloris': {
      const text = '220 hostile.test ESMTP and on and on'
      let i = 0
      drip(() => text[i++ % text.length] as string)
      return
    }
    case 'slowloris-lines':
      drip(() => '220-hostile.test one more line\r\n')
      return
    case 'starttls-refused':
      write('220 hostile.test ESMTP\r\n')
      onCommand = (l) => (/^STARTTLS/i.test(l) ? write('454 4.7.0 TLS not available due to temporary reason\r\n') : normal(l, ['PIPELINING', 'STARTTLS', 'AUTH PLAIN LOGIN']))
      return
    case 'starttls-stripped':
      write('220 hostile.test ESMTP\r\n')
      onCommand = (l) => normal(l, ['PIPELINING', 'AUTH PLAIN LOGIN'])
      return
    case 'starttls-then-clear':
      write('220 hostile.test ESMTP\r\n')
      onCommand = (l) => {
        if (/^STARTTLS/i.test(l)) {
          write('220 2.0.0 go ahead\r\n')
          later(20, () => write('250 2.0.0 still in clear text, carry on\r\n'))
        } else normal(l, ['PIPELINING', 'STARTTLS'])
      }
      return
    case 'starttls-injection':
      write('220 hostile.test ESMTP\r\n')
      onCommand = (l) => (/^STARTTLS/i.test(l) ? write('220 2.0.0 go ahead\r\n250-injected.test\r\n250 AUTH PLAIN\r\n') : normal(l, ['PIPELINING', 'STARTTLS']))
      return
    case 'close-after-dot': {
      write('220 hostile.test ESMTP\r\n')
      const dropFirst = opts.dropFirst ?? Infinity
      onCommand = (l) => {
        if (l === '.' && conn.id < dropFirst) {
          socket.destroy()
          return
        }
        normal(l)
      }
      return
    }
  }
}
