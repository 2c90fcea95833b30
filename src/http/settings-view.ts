import type { SettingsRecord, Store, WorkerConfig } from '../outbox/index.js'
import { defaultEmailSettings, smtpOptionsFromSettings, validateEmailSettings, withoutSecrets } from '../settings/index.js'
import type { EmailSettings } from '../settings/index.js'

/** What the store holds, read as settings (defaults before the first save). */
export interface SavedSettings {
  readonly settings: EmailSettings
  /** Sealed secrets by field name ('password', 'oauth2.clientSecret'). */
  readonly sealed: Readonly<Record<string, string>>
  readonly version: number
  readonly updatedAt: Date | undefined
  readonly warnings: readonly { field: string; message: string }[]
}

/**
 * The last settings read from each store, validated: a stored version never changes (saves are a
 * version compare-and-swap), so the notifier's ticks and the worker's claims do not run the schema
 * validator again for a version they have seen.
 */
const lastSaved = new WeakMap<object, { readonly version: number; readonly updatedAt: number | undefined; readonly saved: SavedSettings }>()

export async function loadSaved(store: Pick<Store, 'getSettings'>): Promise<SavedSettings> {
  const record = await store.getSettings()
  if (!record) return fromRecord(record)
  const updatedAt = record.updatedAt?.getTime()
  const hit = lastSaved.get(store)
  if (hit !== undefined && hit.version === record.version && hit.updatedAt === updatedAt) return hit.saved
  const saved = fromRecord(record)
  lastSaved.set(store, { version: record.version, updatedAt, saved })
  return saved
}

export function fromRecord(record: SettingsRecord | undefined): SavedSettings {
  if (!record) return { settings: defaultEmailSettings(), sealed: {}, version: 0, updatedAt: undefined, warnings: [] }
  // Stored rows were valid when saved; validating again fills defaults added by later versions.
  const checked = validateEmailSettings(record.settings)
  const settings = checked.ok ? checked.value : { ...defaultEmailSettings(), ...(record.settings as Partial<EmailSettings>) }
  return { settings, sealed: record.secrets, version: record.version, updatedAt: record.updatedAt, warnings: checked.warnings }
}

/**
 * The API shape (TEAM.md contract): settings minus secrets, plus `passwordSet`,
 * `oauth2.clientSecretSet`, `version` and the validation warnings. Never a secret value.
 */
export function presentSettings(saved: SavedSettings): Record<string, unknown> {
  const plain = withoutSecrets(saved.settings) as Record<string, unknown> & { oauth2: Record<string, unknown> }
  return {
    ...plain,
    oauth2: { ...plain.oauth2, clientSecretSet: saved.sealed['oauth2.clientSecret'] !== undefined },
    passwordSet: saved.sealed['password'] !== undefined,
    version: saved.version,
    ...(saved.updatedAt ? { updatedAt: saved.updatedAt } : {}),
    warnings: saved.warnings,
  }
}

/** Members of a GET response a client may echo back in a PUT; they are read-only and ignored. */
export function stripReadOnly(body: Record<string, unknown>): Record<string, unknown> {
  const { passwordSet: _p, version: _v, updatedAt: _u, warnings: _w, ...rest } = body
  const oauth2 = rest['oauth2']
  if (oauth2 && typeof oauth2 === 'object' && !Array.isArray(oauth2) && 'clientSecretSet' in oauth2) {
    const { clientSecretSet: _c, ...o } = oauth2 as Record<string, unknown>
    rest['oauth2'] = o
  }
  return rest
}

/** Dotted names of the fields whose values differ ('port', 'retry.maxAttempts'); objects are compared member by member. */
export function changedFields(before: unknown, after: unknown, prefix = ''): string[] {
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)])
    return [...keys].sort().flatMap((k) => changedFields(before[k], after[k], prefix ? `${prefix}.${k}` : k))
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix]
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * The worker's `getConfig`: the saved settings and their SMTP options with the unsealed secrets.
 * Re-read at most every `ttlMs`; rebuilt only when the version changes, so the pool (and an OAuth2
 * token provider's cache) survive between claims.
 */
export function workerConfigSource(
  store: Pick<Store, 'getSettings'>,
  box: { unseal(sealed: string): string },
  // Short: a save must reach the worker at once (the first alerts after "save" should not wait on a
  // stale "disabled"); reading one row by key a few times a second costs nothing, and an unchanged
  // version reuses the config (and loadSaved its validated settings).
  ttlMs = 250,
): () => Promise<WorkerConfig | undefined> {
  let cached: { version: number; config: WorkerConfig; at: number } | undefined
  return async function getConfig() {
    const now = Date.now()
    if (cached && now - cached.at < ttlMs) return cached.config
    const saved = await loadSaved(store)
    if (cached?.version === saved.version && saved.version > 0) {
      cached.at = now
      return cached.config
    }
    const password = saved.sealed['password']
    const clientSecret = saved.sealed['oauth2.clientSecret']
    const smtp = smtpOptionsFromSettings(saved.settings, {
      ...(password === undefined ? {} : { password: box.unseal(password) }),
      ...(clientSecret === undefined ? {} : { clientSecret: box.unseal(clientSecret) }),
    })
    cached = { version: saved.version, config: { settings: saved.settings, smtp }, at: now }
    return cached.config
  }
}
