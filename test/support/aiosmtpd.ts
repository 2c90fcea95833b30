/**
 * aiosmtpd (Debian's python3-aiosmtpd), a second SMTP server implementation independent of Postfix
 * and of the `smtp-server` package: a small Python script, written into a fresh temp dir, serves
 *   - implicit TLS (RFC 8314 §3.3) on one port, and
 *   - plain SMTP with STARTTLS required (RFC 3207) on another,
 * both with AUTH PLAIN and LOGIN (RFC 4954) through an authenticator that accepts one user, and
 * SMTPUTF8 (RFC 6531). Every accepted message is saved to the temp dir: `<n>.eml` (the bytes as
 * received) and `<n>.json` (envelope, ESMTP parameters, TLS version, authenticated user).
 * Ports come from the script itself (bound to 127.0.0.1:0), printed as one JSON line.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeTestCerts } from './certs.js'
import { spawnDaemon, waitForDaemon } from './daemon.js'

/** Debian's interpreter: python3-aiosmtpd is installed for it, not for any other python3 on PATH. */
export const PYTHON_BIN = '/usr/bin/python3'

export interface AiosmtpdMessage {
  readonly mailFrom: string
  readonly rcptTos: string[]
  /** ESMTP parameters of MAIL FROM as aiosmtpd parsed them ('SMTPUTF8', 'BODY=8BITMIME', …). */
  readonly mailOptions: string[]
  readonly rcptOptions: string[]
  readonly smtpUtf8: boolean
  /** 'TLSv1.3' etc., or null for a clear-text session. */
  readonly tls: string | null
  /** The AUTH identity the authenticator accepted, or null. */
  readonly user: string | null
  readonly port: number
  readonly raw: Buffer
}

export interface AiosmtpdServer {
  readonly host: '127.0.0.1'
  /** Implicit TLS from the first byte (encryption SSL). */
  readonly implicitTlsPort: number
  /** Clear text until STARTTLS, which it requires before MAIL and AUTH (encryption TLS). */
  readonly startTlsPort: number
  readonly caPem: string
  readonly version: string
  messages(): Promise<AiosmtpdMessage[]>
  waitForMessages(count: number, timeoutMs?: number): Promise<AiosmtpdMessage[]>
  /** The script's stderr (aiosmtpd logs warnings and errors there; never credentials). */
  log(): string
  stop(): Promise<void>
}

export interface AiosmtpdOptions {
  readonly username: string
  readonly password: string
}

export function aiosmtpdAvailable(): boolean {
  return existsSync(PYTHON_BIN) && existsSync('/usr/lib/python3/dist-packages/aiosmtpd')
}

const SCRIPT = String.raw`
import asyncio, json, os, ssl, sys
import aiosmtpd
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

config = json.load(open(sys.argv[1]))
os.unlink(sys.argv[1])  # the password lives only in this process from now on
spool = config["spool"]
counter = 0


def authenticator(server, session, envelope, mechanism, auth_data):
    # One accepted user; the password is compared, never logged.
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    ok = auth_data.login == config["username"].encode() and auth_data.password == config["password"].encode()
    return AuthResult(success=ok, auth_data=config["username"] if ok else None, handled=False)


class Saver:
    async def handle_DATA(self, server, session, envelope):
        global counter
        counter += 1
        ssl_object = server.transport.get_extra_info("ssl_object")
        meta = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "mailOptions": envelope.mail_options,
            "rcptOptions": envelope.rcpt_options,
            "smtpUtf8": envelope.smtp_utf8,
            "tls": ssl_object.version() if ssl_object is not None else None,
            "user": session.auth_data if session.authenticated else None,
            "port": server.transport.get_extra_info("sockname")[1],
        }
        base = os.path.join(spool, "%06d" % counter)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")  # the .json last: a reader sees whole messages
        return "250 2.0.0 OK saved %d" % counter


async def main():
    loop = asyncio.get_running_loop()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config["certFile"], config["keyFile"])
    handler = Saver()
    common = dict(hostname="aiosmtpd.alertmail.test", enable_SMTPUTF8=True, authenticator=authenticator, loop=loop)
    # Implicit TLS: the whole session is encrypted, so AUTH need not wait for STARTTLS
    # (aiosmtpd only knows about STARTTLS, hence auth_require_tls=False here).
    implicit = await loop.create_server(lambda: SMTP(handler, auth_require_tls=False, **common), "127.0.0.1", 0, ssl=context)
    starttls = await loop.create_server(lambda: SMTP(handler, tls_context=context, require_starttls=True, auth_require_tls=True, **common), "127.0.0.1", 0)
    print(json.dumps({
        "implicit": implicit.sockets[0].getsockname()[1],
        "starttls": starttls.sockets[0].getsockname()[1],
        "version": aiosmtpd.__version__,
    }), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
`

export async function startAiosmtpd(opts: AiosmtpdOptions): Promise<AiosmtpdServer> {
  const dir = await mkdtemp(join(tmpdir(), 'alertmail-aiosmtpd-'))
  const spool = join(dir, 'spool')
  await writeFile(join(dir, 'server.py'), SCRIPT)
  await mkdir(spool)
  const certs = makeTestCerts()
  const configFile = join(dir, 'config.json')
  await writeFile(configFile, JSON.stringify({ spool, certFile: certs.certFile, keyFile: certs.keyFile, username: opts.username, password: opts.password }), { mode: 0o600 })

  const daemon = spawnDaemon(PYTHON_BIN, [join(dir, 'server.py'), configFile], { env: { PATH: process.env['PATH'] ?? '', PYTHONUNBUFFERED: '1' } })
  const stop = async () => {
    await daemon.stop()
    await rm(dir, { recursive: true, force: true })
    await rm(certs.dir, { recursive: true, force: true })
  }

  let ready: { implicit: number; starttls: number; version: string }
  try {
    // The script prints one JSON line with its ports once both listeners are bound.
    ready = await waitForDaemon(daemon, 'ports line', () => {
      const out = daemon.stdout()
      const line = out.slice(0, out.lastIndexOf('\n') + 1).split('\n').find((l) => l.startsWith('{'))
      return line === undefined ? undefined : (JSON.parse(line) as { implicit: number; starttls: number; version: string })
    }, 30_000)
  } catch (e) {
    await stop()
    throw new Error(`aiosmtpd did not start: ${String(e)}\n${daemon.stderr()}`, { cause: e })
  }

  const messages = async (): Promise<AiosmtpdMessage[]> => {
    const names = (await readdir(spool)).filter((n) => n.endsWith('.json')).sort()
    const out: AiosmtpdMessage[] = []
    for (const name of names) {
      const meta = JSON.parse(await readFile(join(spool, name), 'utf8'))
      out.push({ ...meta, raw: await readFile(join(spool, name.replace(/\.json$/, '.eml'))) })
    }
    return out
  }

  return {
    host: '127.0.0.1',
    implicitTlsPort: ready.implicit,
    startTlsPort: ready.starttls,
    caPem: certs.caPem,
    version: ready.version,
    messages,
    waitForMessages: async (count, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = await messages()
        if (found.length >= count) return found
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} message(s) at aiosmtpd, have ${found.length}\n${daemon.stderr()}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    log: () => daemon.stderr(),
    stop,
  }
}
