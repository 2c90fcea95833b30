import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SECRET_KEY_FILE, SecretBox, SettingsError } from '../../src/settings/index.js'

let root: string
let n = 0
const freshDir = (): string => join(root, `data-${String(++n)}`)

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'alertmail-secret-box-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

function errorOf(fn: () => unknown): SettingsError {
  try {
    fn()
  } catch (error) {
    if (error instanceof SettingsError) return error
    throw error
  }
  throw new Error('expected a SettingsError')
}

describe('SecretBox', () => {
  it('round-trips text, including empty and non-ASCII, in the v1:iv:tag:ciphertext format', async () => {
    const box = await SecretBox.open({ dataDir: freshDir() })
    for (const text of ['hunter2', '', 'pässwörd ✓ 密码', 'x'.repeat(5000)]) {
      const sealed = box.seal(text)
      expect(sealed).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/)
      expect(sealed).not.toContain(text === '' ? 'never' : text)
      expect(box.unseal(sealed)).toBe(text)
    }
  })

  it('uses a fresh IV each time, so one secret seals differently', async () => {
    const box = await SecretBox.open({ dataDir: freshDir() })
    expect(box.seal('same')).not.toBe(box.seal('same'))
  })

  it('creates the data dir 0700 and the key file 0600 on first start, and reuses it after', async () => {
    const dir = freshDir()
    const first = await SecretBox.open({ dataDir: dir })
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    const file = join(dir, SECRET_KEY_FILE)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32)
    const sealed = first.seal('kept across restarts')
    const second = await SecretBox.open({ dataDir: dir })
    expect(second.unseal(sealed)).toBe('kept across restarts')
    expect(second.keySource).toBe(file)
  })

  it('two instances starting at once agree on one key', async () => {
    const dir = freshDir()
    const [a, b] = await Promise.all([SecretBox.open({ dataDir: dir }), SecretBox.open({ dataDir: dir })])
    expect(b.unseal(a.seal('shared'))).toBe('shared')
  })

  it('tightens a key file whose mode was loosened', async () => {
    const dir = freshDir()
    await SecretBox.open({ dataDir: dir })
    const file = join(dir, SECRET_KEY_FILE)
    await chmod(file, 0o644)
    await SecretBox.open({ dataDir: dir })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('refuses a malformed key file with a clear error naming it', async () => {
    const dir = freshDir()
    await SecretBox.open({ dataDir: dir })
    await writeFile(join(dir, SECRET_KEY_FILE), Buffer.alloc(16).toString('base64'))
    await expect(SecretBox.open({ dataDir: dir })).rejects.toMatchObject({
      code: 'ERR_CONFIG_SECRET_KEY',
      message: expect.stringContaining(SECRET_KEY_FILE),
    })
  })

  it('detects tampering with the ciphertext, the tag or the IV', async () => {
    const box = await SecretBox.open({ dataDir: freshDir() })
    const sealed = box.seal('do not touch')
    const [v, iv = '', tag = '', ct = ''] = sealed.split(':')
    const flip = (b64: string): string => {
      const bytes = Buffer.from(b64, 'base64')
      bytes[0] = (bytes[0] ?? 0) ^ 1
      return bytes.toString('base64')
    }
    for (const altered of [[v, iv, tag, flip(ct)], [v, iv, flip(tag), ct], [v, flip(iv), tag, ct]]) {
      const error = errorOf(() => box.unseal(altered.join(':')))
      expect(error.code).toBe('ERR_CONFIG_SECRET_UNSEAL')
      expect(error.message).toMatch(/altered, or sealed with a different key/)
      expect(error.message).not.toContain('do not touch')
    }
  })

  it('reports a wrong key clearly, naming where the key came from', async () => {
    const sealed = (await SecretBox.open({ dataDir: freshDir() })).seal('secret')
    const other = await SecretBox.open({ dataDir: freshDir(), key: randomBytes(32).toString('base64') })
    const error = errorOf(() => other.unseal(sealed))
    expect(error.code).toBe('ERR_CONFIG_SECRET_UNSEAL')
    expect(error.message).toContain('ALERTMAIL_SECRET_KEY')
    expect(error.message).toMatch(/different key/)
  })

  it('refuses values that are not in the sealed format', async () => {
    const box = await SecretBox.open({ dataDir: freshDir() })
    for (const bad of ['plaintext', 'v2:a:b:c', 'v1:only:three', 'v1:!!!:AAAA:AAAA', `v1:${Buffer.alloc(8).toString('base64')}:${Buffer.alloc(16).toString('base64')}:`]) {
      expect(errorOf(() => box.unseal(bad)).code, bad).toBe('ERR_CONFIG_SECRET_FORMAT')
    }
  })

  describe('ALERTMAIL_SECRET_KEY', () => {
    it('accepts 32 bytes as base64 or hex, the same key either way, and creates no key file', async () => {
      const raw = randomBytes(32)
      const dir = freshDir()
      const b64 = await SecretBox.open({ dataDir: dir, key: raw.toString('base64') })
      const hex = await SecretBox.open({ dataDir: freshDir(), key: raw.toString('hex') })
      expect(hex.unseal(b64.seal('same key'))).toBe('same key')
      expect(SecretBox.fromKey(raw).unseal(b64.seal('raw bytes'))).toBe('raw bytes')
      await expect(stat(join(dir, SECRET_KEY_FILE))).rejects.toMatchObject({ code: 'ENOENT' })
    })
    it('derives a key from a passphrase, deterministically', async () => {
      const a = await SecretBox.open({ dataDir: freshDir(), key: 'correct horse battery staple' })
      const b = await SecretBox.open({ dataDir: freshDir(), key: 'correct horse battery staple' })
      const c = await SecretBox.open({ dataDir: freshDir(), key: 'correct horse battery stapler' })
      const sealed = a.seal('from a passphrase')
      expect(b.unseal(sealed)).toBe('from a passphrase')
      expect(errorOf(() => c.unseal(sealed)).code).toBe('ERR_CONFIG_SECRET_UNSEAL')
    })
    it('refuses a passphrase too short to be one', async () => {
      await expect(SecretBox.open({ dataDir: freshDir(), key: 'short' })).rejects.toMatchObject({ code: 'ERR_CONFIG_SECRET_KEY' })
    })
    it('an empty value means "not set": the key file is used', async () => {
      const dir = freshDir()
      const box = await SecretBox.open({ dataDir: dir, key: '' })
      expect(box.keySource).toBe(join(dir, SECRET_KEY_FILE))
    })
  })
})
