/**
 * A throwaway Dovecot (Debian's dovecot-core) that provides only its SASL authentication socket,
 * for Postfix's `smtpd_sasl_type = dovecot` (https://www.postfix.org/SASL_README.html#server_dovecot).
 * Its configuration, base_dir, state_dir, log and passwd-file live under a fresh temp dir; no
 * protocol (IMAP/POP3/LMTP) is started, so it listens on no TCP port at all. Runs in the foreground
 * (`dovecot -F -c CONF`) as our child, so stop() (and a process exit) ends it by its pid.
 * Needs root (Dovecot's master drops privileges for its auth process) and /usr/sbin/dovecot.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnDaemon, waitForDaemon } from './daemon.js'

export const DOVECOT_BIN = '/usr/sbin/dovecot'

export interface DovecotOptions {
  /** Users of the passwd-file: address → password (stored `{PLAIN}` so CRAM-MD5 can work too). */
  readonly users: Readonly<Record<string, string>>
  /** SASL mechanisms Dovecot offers (Postfix advertises them in EHLO). Default: PLAIN LOGIN. */
  readonly mechanisms?: readonly string[]
}

export interface DovecotAuth {
  /** The auth socket Postfix connects to (mode 0666, absolute path: smtpd runs unchrooted). */
  readonly socketPath: string
  readonly dir: string
  /** main.cf settings that make a Postfix smtpd authenticate through this Dovecot. */
  readonly postfixMainCf: Readonly<Record<string, string>>
  /** Dovecot's log (auth failures are logged without passwords: auth_verbose_passwords is off). */
  log(): Promise<string>
  stop(): Promise<void>
}

export function dovecotAvailable(): boolean {
  return existsSync(DOVECOT_BIN) && process.getuid?.() === 0
}

export async function startDovecotAuth(opts: DovecotOptions): Promise<DovecotAuth> {
  const dir = await mkdtemp(join(tmpdir(), 'alertmail-dovecot-'))
  // Dovecot's auth process runs as user dovecot; it must reach the passwd-file and the socket.
  await chmod(dir, 0o755)
  const socketPath = join(dir, 'auth')
  const passwd = join(dir, 'passwd')
  const conf = join(dir, 'dovecot.conf')
  const logFile = join(dir, 'dovecot.log')
  // passwd-file: user:{SCHEME}password (https://doc.dovecot.org/configuration_manual/authentication/passwd_file/).
  await writeFile(passwd, Object.entries(opts.users).map(([u, p]) => `${u}:{PLAIN}${p}\n`).join(''), { mode: 0o600 })
  await chown(passwd, uidOf('dovecot'), -1)
  const mechanisms = (opts.mechanisms ?? ['PLAIN', 'LOGIN']).map((m) => m.toLowerCase()).join(' ')
  await writeFile(conf, `# alertmail interop test: SASL authentication only.
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
instance_name = alertmail-${process.pid}-${dir.slice(-6)}
log_path = ${logFile}
protocols = none
listen = 127.0.0.1
ssl = no
# Postfix, not Dovecot, enforces TLS before AUTH (smtpd_tls_auth_only).
disable_plaintext_auth = no
auth_mechanisms = ${mechanisms}
auth_verbose = yes
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwd}
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
# No auth penalty (growing delays after failures from one IP): the wrong-password tests come from
# 127.0.0.1 too (https://doc.dovecot.org/configuration_manual/authentication/auth_penalty/).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener ${socketPath} {
    mode = 0666
  }
}
`)
  const daemon = spawnDaemon(DOVECOT_BIN, ['-F', '-c', conf])
  const log = async () => `${daemon.output()}${await readFile(logFile, 'utf8').catch(() => '')}`
  const stop = async () => {
    await daemon.stop()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitForDaemon(daemon, `auth socket at ${socketPath}`, async () => ((await stat(socketPath).catch(() => undefined))?.isSocket() ? true : undefined), 30_000)
  } catch (e) {
    const text = await log()
    await stop()
    throw new Error(`dovecot did not start: ${String(e)}\n${text}`, { cause: e })
  }
  return {
    socketPath,
    dir,
    postfixMainCf: {
      smtpd_sasl_auth_enable: 'yes',
      smtpd_sasl_type: 'dovecot',
      smtpd_sasl_path: socketPath,
      // AUTH only inside TLS, as every real submission service does (RFC 3207 §6; RFC 4954 §4).
      smtpd_tls_auth_only: 'yes',
      // "(Authenticated sender: …)" in Received shows which identity Postfix accepted.
      smtpd_sasl_authenticated_header: 'yes',
      smtpd_relay_restrictions: 'permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination',
    },
    log,
    stop,
  }
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim())
}
