/**
 * A throwaway Debian Postfix instance for tests: its own config, queue, data and mailbox
 * directories under a fresh temp dir, an smtpd listener on a free 127.0.0.1 port, STARTTLS with
 * the test CA's certificate, virtual(8) delivery into Maildirs, DSN on, and a configurable
 * message_size_limit (advertised as SIZE). Needs root (postfix start) and /usr/sbin/postfix.
 *
 * Started with `postfix -c DIR start`: with Postfix ≥ 2.6 `-c` makes the command operate on
 * that instance only; nothing of the default instance (/etc/postfix) is read or changed.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { makeTestCerts } from './certs.js'

const run = promisify(execFile)
export const POSTFIX_BIN = '/usr/sbin/postfix'

export interface PostfixOptions {
  /** message_size_limit, advertised as SIZE (RFC 1870). Default 10 MB. */
  readonly messageSizeLimit?: number
  /** Local parts that get a Maildir in `domain`. Default: alerts, ops, noc. */
  readonly users?: readonly string[]
  readonly domain?: string
  /** Extra main.cf lines (name → value), applied last. */
  readonly mainCf?: Readonly<Record<string, string>>
}

export interface PostfixServer {
  readonly host: '127.0.0.1'
  readonly port: number
  readonly domain: string
  /** The CA that signed the server certificate (trust it with tlsCa). */
  readonly caPem: string
  readonly dir: string
  address(user: string): string
  /** The messages in `user`'s Maildir so far, oldest first, with CRLF line ends as on the wire. */
  messages(user: string): Promise<Buffer[]>
  /** Waits until `user` holds at least `count` messages (Postfix delivers asynchronously). */
  waitForMessages(user: string, count: number, timeoutMs?: number): Promise<Buffer[]>
  /** Postfix's own log (maillog_file), for assertion messages. */
  log(): Promise<string>
  stop(): Promise<void>
}

/** Whether this machine can run the harness (CI installs postfix through .ci/run). */
export function postfixAvailable(): boolean {
  return existsSync(POSTFIX_BIN) && process.getuid?.() === 0
}

/** Live instances, stopped on exit even when a test forgot to (a leftover master keeps ports). */
const live = new Set<{ pidFile: string }>()
process.once('exit', () => {
  for (const { pidFile } of live) {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim())
      if (pid > 0) process.kill(pid, 'SIGKILL')
    } catch { /* already gone */ }
  }
})

export async function startPostfix(opts: PostfixOptions = {}): Promise<PostfixServer> {
  const domain = opts.domain ?? 'alertmail.test'
  const users = opts.users ?? ['alerts', 'ops', 'noc']
  const dir = await mkdtemp(join(tmpdir(), 'alertmail-postfix-'))
  // Postfix daemons (user postfix) and virtual(8) (uid nobody) must traverse it.
  await chmod(dir, 0o755)
  const conf = join(dir, 'conf')
  const spool = join(dir, 'spool')
  const data = join(dir, 'data')
  const mail = join(dir, 'mail')
  for (const d of [conf, spool, data, mail]) await mkdir(d, { recursive: true })
  const [postfixUid, vmailUid, vmailGid] = await Promise.all([idOf('-u', 'postfix'), idOf('-u', 'nobody'), idOf('-g', 'nobody')])
  await chown(data, postfixUid, -1)
  await chown(mail, vmailUid, vmailGid)

  const certs = makeTestCerts()
  await copyFile(certs.certFile, join(conf, 'server.pem'))
  await copyFile(certs.keyFile, join(conf, 'server.key'))
  await chmod(join(conf, 'server.key'), 0o600)
  await rm(certs.dir, { recursive: true, force: true })
  await writeFile(join(conf, 'vmailbox'), users.map((u) => `${u}@${domain} ${domain}/${u}/\n`).join(''))

  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    await writeFile(join(conf, 'main.cf'), mainCf({ dir, conf, spool, data, mail, domain, vmailUid, vmailGid, opts }))
    await writeFile(join(conf, 'master.cf'), masterCf(port))
    await postfix(conf, 'start')
    const pidFile = join(spool, 'pid', 'master.pid')
    const handle = { pidFile }
    live.add(handle)
    try {
      await waitForGreeting(port, 30_000)
    } catch (e) {
      await postfix(conf, 'stop').catch(() => undefined)
      live.delete(handle)
      // Another process may have taken the port between our probe and Postfix's bind.
      if (attempt < 3) continue
      throw new Error(`postfix did not start: ${String(e)}\n${await readFile(join(dir, 'maillog'), 'utf8').catch(() => '')}`, { cause: e })
    }
    const maildir = (user: string) => join(mail, domain, user)
    const server: PostfixServer = {
      host: '127.0.0.1',
      port,
      domain,
      caPem: certs.caPem,
      dir,
      address: (user) => `${user}@${domain}`,
      messages: async (user) => readMaildir(maildir(user)),
      waitForMessages: async (user, count, timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const found = await readMaildir(maildir(user))
          if (found.length >= count) return found
          if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${count} message(s) for ${user}@${domain}, have ${found.length}\n${await server.log()}`)
          }
          await new Promise((r) => setTimeout(r, 200))
        }
      },
      log: async () => readFile(join(dir, 'maillog'), 'utf8').catch(() => ''),
      stop: async () => {
        await postfix(conf, 'stop').catch(() => undefined)
        await killLeftover(pidFile)
        live.delete(handle)
        await rm(dir, { recursive: true, force: true })
      },
    }
    return server
  }
}

interface Layout {
  dir: string; conf: string; spool: string; data: string; mail: string; domain: string
  vmailUid: number; vmailGid: number; opts: PostfixOptions
}

function mainCf(l: Layout): string {
  const size = l.opts.messageSizeLimit ?? 10_240_000
  const settings: Record<string, string> = {
    compatibility_level: '3.6',
    config_directory: l.conf,
    queue_directory: l.spool,
    data_directory: l.data,
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    myhostname: `mx.${l.domain}`,
    mydomain: l.domain,
    myorigin: '$myhostname',
    // Nothing is delivered by local(8): every mailbox is a virtual(8) Maildir we can read.
    mydestination: '',
    local_recipient_maps: '',
    alias_maps: '',
    alias_database: '',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination',
    virtual_mailbox_domains: l.domain,
    virtual_mailbox_base: l.mail,
    // texthash: needs no postmap run (Postfix ≥ 3.0).
    virtual_mailbox_maps: `texthash:${join(l.conf, 'vmailbox')}`,
    virtual_uid_maps: `static:${l.vmailUid}`,
    virtual_gid_maps: `static:${l.vmailGid}`,
    virtual_minimum_uid: '1',
    message_size_limit: String(size),
    virtual_mailbox_limit: '0',
    mailbox_size_limit: '0',
    smtpd_tls_security_level: 'may',
    smtpd_tls_cert_file: join(l.conf, 'server.pem'),
    smtpd_tls_key_file: join(l.conf, 'server.key'),
    smtpd_tls_loglevel: '1',
    // No syslog in containers: log to a file in the instance dir (Postfix ≥ 3.4, postlogd).
    maillog_file: join(l.dir, 'maillog'),
    maillog_file_prefixes: l.dir,
    biff: 'no',
    // Deliver DSNs and fragments at once; never look up DNS for test domains.
    smtp_dns_support_level: 'disabled',
    disable_dns_lookups: 'yes',
    ...l.opts.mainCf,
  }
  return Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n'
}

/** chroot "n" everywhere: a chroot needs copies of /etc files under the queue directory. */
function masterCf(port: number): string {
  return `127.0.0.1:${port} inet n - n - - smtpd
pickup    fifo  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`
}

async function postfix(conf: string, action: 'start' | 'stop'): Promise<void> {
  try {
    await run(POSTFIX_BIN, ['-c', conf, action], { timeout: 60_000 })
  } catch (e) {
    // Postfix reports to its maillog_file (stderr only on a tty): the caller reads the log.
    throw new Error(`postfix -c ${conf} ${action} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}

async function killLeftover(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
  if (!(pid > 0)) return
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  try {
    process.kill(pid, 'SIGKILL')
  } catch { /* gone */ }
}

async function readMaildir(maildir: string): Promise<Buffer[]> {
  const files: { path: string; name: string }[] = []
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(maildir, sub)).catch(() => [] as string[])
    for (const name of names) files.push({ path: join(maildir, sub, name), name })
  }
  // Maildir names start with the delivery time in seconds, then a unique part: sort by both.
  files.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
  const out: Buffer[] = []
  for (const f of files) out.push(toCrlf(await readFile(f.path)))
  return out
}

/** Maildir files hold LF line ends (local convention); on the wire they were CRLF. */
export function toCrlf(buf: Buffer): Buffer {
  return Buffer.from(buf.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1')
}

/**
 * Drops the fields a delivery puts on top of the message (Return-Path, Delivered-To,
 * X-Original-To, Received,
 * each with its folded lines), leaving the message as the client sent it.
 */
export function withoutTrace(message: Buffer): Buffer {
  let at = 0
  let inTrace = false
  for (;;) {
    const end = message.indexOf('\r\n', at)
    if (end < 0) return message.subarray(at)
    const line = message.toString('latin1', at, end)
    const continuation = line.startsWith(' ') || line.startsWith('\t')
    if (continuation ? !inTrace : !/^(return-path|delivered-to|x-original-to|received):/i.test(line)) return message.subarray(at)
    inTrace = true
    at = end + 2
  }
}

async function idOf(flag: '-u' | '-g', name: string): Promise<number> {
  const { stdout } = await run('id', [flag, name])
  return Number(stdout.trim())
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => { resolve(port) })
    })
  })
}

/** Resolves once the listener answers with a 220 greeting. */
async function waitForGreeting(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: '127.0.0.1', port })
      let buf = ''
      sock.setTimeout(5000, () => { sock.destroy(); resolve(false) })
      sock.on('data', (d: Buffer) => {
        buf += d.toString('latin1')
        if (buf.includes('\n')) {
          sock.end('QUIT\r\n')
          resolve(buf.startsWith('220'))
        }
      })
      sock.on('error', () => { resolve(false) })
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`no SMTP greeting on 127.0.0.1:${port}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
