import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const ADMIN_TOKEN_FILE = 'admin-token'

export interface AdminTokenResult {
  readonly token: string
  /** 'env': ALERTMAIL_ADMIN_TOKEN; 'file': read from the data dir; 'generated': new, print it once. */
  readonly source: 'env' | 'file' | 'generated'
  readonly path?: string
}

/** A bearer token: 32 random bytes, base64url, with a recognisable prefix for secret scanners. */
export function generateToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`
}

/**
 * The bootstrap admin token (DESIGN.md §3): ALERTMAIL_ADMIN_TOKEN when set; otherwise the one
 * stored in `<dataDir>/admin-token`; otherwise a new one written there with mode 0600
 * (`wx`, so two processes starting at once cannot both create one).
 */
export function loadAdminToken(opts: { dataDir: string; envToken?: string | undefined }): AdminTokenResult {
  const env = opts.envToken?.trim()
  if (env) {
    if (env.length < 16) throw Object.assign(new Error('ALERTMAIL_ADMIN_TOKEN must be at least 16 characters'), { code: 'ERR_CONFIG_ADMIN_TOKEN' })
    return { token: env, source: 'env' }
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
  const path = join(opts.dataDir, ADMIN_TOKEN_FILE)
  const existing = readToken(path)
  if (existing) return { token: existing, source: 'file', path }
  const token = generateToken('am_admin_')
  try {
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' })
    chmodSync(path, 0o600) // the umask may have narrowed it further, never widened; make it exact
    return { token, source: 'generated', path }
  } catch (err) {
    // Another process won the race: use its token.
    const other = (err as { code?: string }).code === 'EEXIST' ? readToken(path) : undefined
    if (other) return { token: other, source: 'file', path }
    throw err
  }
}

function readToken(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim()
    return text || undefined
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined
    throw err
  }
}
