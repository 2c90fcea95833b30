import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scryptSync } from 'node:crypto'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SettingsError } from './errors.js'

/** Name of the key file created in the data dir when no ALERTMAIL_SECRET_KEY is given. */
export const SECRET_KEY_FILE = 'secret.key'
/** Version tag of the sealed format: `v1:<iv>:<tag>:<ciphertext>`, each part base64. */
export const SEALED_VERSION = 'v1'

const KEY_BYTES = 32 // AES-256
const IV_BYTES = 12 // NIST SP 800-38D §8.2: 96-bit IVs for GCM
const TAG_BYTES = 16
// Passphrases are stretched with scrypt (RFC 7914). The salt is fixed because every instance
// sharing the database must derive the same key from the same passphrase.
const SCRYPT_SALT = 'alertmail secret-box v1 passphrase'
const SCRYPT_OPTIONS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }

export interface SecretBoxOptions {
  /** Where the key file lives (created 0700 if absent). */
  readonly dataDir: string
  /**
   * ALERTMAIL_SECRET_KEY: 32 bytes as base64 (44 chars) or hex (64 chars) are used as-is; anything
   * else is a passphrase, stretched with scrypt. Empty or absent: the key file is used.
   */
  readonly key?: string | undefined
}

/**
 * AES-256-GCM for secrets at rest (the SMTP password, the OAuth2 client secret). The key comes from
 * ALERTMAIL_SECRET_KEY, or from `<dataDir>/secret.key`, 32 random bytes created 0600 on first start.
 *
 * @example
 * const box = await SecretBox.open({ dataDir: './data', key: process.env.ALERTMAIL_SECRET_KEY })
 * const sealed = box.seal('hunter2')   // 'v1:…:…:…'
 * box.unseal(sealed)                   // 'hunter2'
 */
export class SecretBox {
  readonly #key: Buffer
  /** Where the key came from, for messages: 'ALERTMAIL_SECRET_KEY' or the key file's path. */
  readonly keySource: string

  private constructor(key: Buffer, keySource: string) {
    this.#key = key
    this.keySource = keySource
  }

  static async open(opts: SecretBoxOptions): Promise<SecretBox> {
    if (opts.key !== undefined && opts.key !== '') return new SecretBox(keyFromString(opts.key), 'ALERTMAIL_SECRET_KEY')
    const file = join(opts.dataDir, SECRET_KEY_FILE)
    return new SecretBox(await loadOrCreateKeyFile(opts.dataDir, file), file)
  }

  /** A box with a key given directly (tests, tools). */
  static fromKey(key: string | Uint8Array): SecretBox {
    return new SecretBox(typeof key === 'string' ? keyFromString(key) : checkedKey(Buffer.from(key), 'the key'), 'a key given directly')
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(SEALED_VERSION))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const tag = cipher.getAuthTag()
    return [SEALED_VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':')
  }

  unseal(sealed: string): string {
    const parts = sealed.split(':')
    if (parts.length !== 4 || parts[0] !== SEALED_VERSION)
      throw new SettingsError('ERR_CONFIG_SECRET_FORMAT', `sealed secret is not in the ${SEALED_VERSION}:iv:tag:ciphertext format` +
        (parts.length === 4 ? ` (unknown version "${(parts[0] ?? '').slice(0, 10)}")` : ''))
    const [, ivText = '', tagText = '', ctText = ''] = parts
    const iv = strictBase64(ivText)
    const tag = strictBase64(tagText)
    const ciphertext = strictBase64(ctText)
    if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || ciphertext === undefined)
      throw new SettingsError('ERR_CONFIG_SECRET_FORMAT', 'sealed secret is malformed (bad iv, tag or ciphertext encoding)')
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(SEALED_VERSION))
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    } catch (cause) {
      // GCM cannot tell a changed byte from a different key: both fail the tag check (SP 800-38D §7.2).
      throw new SettingsError('ERR_CONFIG_SECRET_UNSEAL',
        `cannot decrypt a stored secret with the key from ${this.keySource}: it was altered, or sealed with a different key ` +
        '(was ALERTMAIL_SECRET_KEY or the key file changed?); enter the secret again to re-seal it', { cause })
    }
  }
}

function checkedKey(key: Buffer, source: string): Buffer {
  if (key.length !== KEY_BYTES)
    throw new SettingsError('ERR_CONFIG_SECRET_KEY', `${source} must be ${String(KEY_BYTES)} bytes, got ${String(key.length)}`)
  return key
}

function strictBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined
  return Buffer.from(text, 'base64')
}

/** Raw 32-byte keys in base64 or hex are used as they are; anything else is a passphrase. */
export function keyFromString(value: string): Buffer {
  const trimmed = value.trim()
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex')
  const b64 = strictBase64(trimmed) ?? strictBase64(trimmed.replace(/-/g, '+').replace(/_/g, '/'))
  if (b64?.length === KEY_BYTES) return b64
  if (trimmed.length < 12)
    throw new SettingsError('ERR_CONFIG_SECRET_KEY',
      'ALERTMAIL_SECRET_KEY is too short: give 32 random bytes as base64 or hex, or a passphrase of at least 12 characters')
  // scrypt makes guessing a passphrase expensive; HKDF then binds the output to this purpose (RFC 5869).
  const stretched = scryptSync(value, SCRYPT_SALT, KEY_BYTES, SCRYPT_OPTIONS)
  return Buffer.from(hkdfSync('sha256', stretched, Buffer.alloc(0), 'alertmail secret-box aes-256-gcm', KEY_BYTES))
}

async function loadOrCreateKeyFile(dataDir: string, file: string): Promise<Buffer> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const fresh = randomBytes(KEY_BYTES)
  try {
    // 'wx': exclusive create, so two instances starting at once cannot overwrite each other's key.
    await writeFile(file, `${fresh.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
    return fresh
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new SettingsError('ERR_CONFIG_SECRET_KEY', `cannot create the key file ${file}: ${(cause as Error).message}`, { cause })
  }
  let text = ''
  try {
    // Another instance may have created the file an instant ago and not yet written it.
    for (let tries = 0; tries < 50 && text.trim() === ''; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 20))
      text = await readFile(file, 'utf8')
    }
    // The key must stay private to this service: tighten a file someone loosened.
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
  } catch (cause) {
    throw new SettingsError('ERR_CONFIG_SECRET_KEY', `cannot read the key file ${file}: ${(cause as Error).message}`, { cause })
  }
  const key = strictBase64(text.trim())
  if (key === undefined) throw new SettingsError('ERR_CONFIG_SECRET_KEY', `the key file ${file} is not base64`)
  return checkedKey(key, `the key in ${file}`)
}
