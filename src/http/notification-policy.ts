/**
 * The grouping policy, kept in the database (Store.getNotificationPolicy, app_setting) so every
 * `alertmail serve` on one database shares it. The notifier reads it on every tick, so reads are
 * cached for a short while; the API reads through and a local save updates the cache at once.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Store, StoredNotificationPolicy } from '../outbox/index.js'
import { DEFAULT_NOTIFICATION_POLICY, validateNotificationPolicy } from '../notify/index.js'
import type { PolicyStorage, SavePolicyOutcome, VersionedPolicy } from './routes/notifications.js'
import { changedFields } from './settings-view.js'

/** Where releases before the database policy kept it (in the data dir). */
export const LEGACY_POLICY_FILE = 'notification-policy.json'

/** A change saved by another process shows up here within this long. */
export const POLICY_REFRESH_MS = 2_000

export type PolicyStore = Pick<Store, 'getNotificationPolicy' | 'saveNotificationPolicy'>

export interface StoredPolicyOptions {
  readonly refreshMs?: number
  /** Monotonic milliseconds (tests inject one). */
  readonly clock?: () => number
  /** The stored policy does not validate (edited by hand, or written by a newer release). Once per version. */
  readonly onInvalid?: (version: number, errors: readonly { field: string; message: string }[]) => void
}

export class StoredPolicy implements PolicyStorage {
  readonly #store: PolicyStore
  readonly #refreshMs: number
  readonly #clock: () => number
  readonly #onInvalid: NonNullable<StoredPolicyOptions['onInvalid']>
  #cache: { value: VersionedPolicy; at: number } | undefined
  #reading: Promise<VersionedPolicy> | undefined
  /** Bumped around each save: a read that overlapped one must not put its older answer in the cache. */
  #generation = 0
  #warnedVersion = -1

  constructor(store: PolicyStore, opts: StoredPolicyOptions = {}) {
    this.#store = store
    this.#refreshMs = opts.refreshMs ?? POLICY_REFRESH_MS
    this.#clock = opts.clock ?? (() => performance.now())
    this.#onInvalid = opts.onInvalid ?? (() => undefined)
  }

  /** The hot path (the notifier): the cached policy while it is younger than refreshMs. */
  async get(): Promise<VersionedPolicy> {
    const cached = this.#cache
    if (cached !== undefined && this.#clock() - cached.at < this.#refreshMs) return cached.value
    return this.read()
  }

  /** From the database (the API), refreshing the cache; concurrent callers share one query. */
  read(): Promise<VersionedPolicy> {
    if (this.#reading === undefined) {
      const generation = this.#generation
      this.#reading = this.#store
        .getNotificationPolicy()
        .then((stored) => {
          const value = this.#present(stored)
          if (generation === this.#generation) this.#cache = { value, at: this.#clock() }
          return value
        })
        .finally(() => {
          this.#reading = undefined
        })
    }
    return this.#reading
  }

  async save(policy: VersionedPolicy['policy'], expectedVersion: number): Promise<SavePolicyOutcome> {
    this.#generation++
    try {
      const result = await this.#store.saveNotificationPolicy(policy, expectedVersion)
      const value = result.ok ? { policy, version: result.record.version } : this.#present(result.current)
      this.#cache = { value, at: this.#clock() }
      return result.ok ? { ok: true, ...value } : { ok: false, current: value }
    } finally {
      this.#generation++
    }
  }

  #present(stored: StoredNotificationPolicy | undefined): VersionedPolicy {
    if (stored === undefined) return { policy: DEFAULT_NOTIFICATION_POLICY, version: 0 }
    const checked = validateNotificationPolicy(stored.policy)
    if (checked.ok) return { policy: checked.value, version: stored.version }
    // Alerts keep flowing on the defaults; the version stays, so a PUT from GET replaces the row.
    if (this.#warnedVersion !== stored.version) {
      this.#warnedVersion = stored.version
      this.#onInvalid(stored.version, checked.errors)
    }
    return { policy: DEFAULT_NOTIFICATION_POLICY, version: stored.version }
  }
}

export type LegacyPolicyImport =
  | { readonly outcome: 'absent' | 'in_database' | 'lost_race' }
  | { readonly outcome: 'imported'; readonly fields: readonly string[] }
  | { readonly outcome: 'invalid'; readonly reason: string }

/**
 * One-time upgrade: when the database has no policy yet and the data dir still holds the file an
 * older release wrote, save the file's policy as version 1 (audited). The file is left in place
 * (a downgrade still finds it); once the database has a policy it is never read again.
 */
export async function importLegacyPolicyFile(
  store: PolicyStore & Pick<Store, 'appendAudit'>,
  dataDir: string,
  now: () => Date,
): Promise<LegacyPolicyImport> {
  if ((await store.getNotificationPolicy()) !== undefined) return { outcome: 'in_database' }
  let text: string
  try {
    text = await readFile(join(dataDir, LEGACY_POLICY_FILE), 'utf8')
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return { outcome: 'absent' }
    throw err
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { outcome: 'invalid', reason: 'not JSON' }
  }
  const checked = validateNotificationPolicy(parsed)
  if (!checked.ok) return { outcome: 'invalid', reason: checked.errors.map((e) => `${e.field}: ${e.message}`).join('; ') }
  // Version 0 → 1 only: of several processes starting at once, one imports.
  const saved = await store.saveNotificationPolicy(checked.value, 0)
  if (!saved.ok) return { outcome: 'lost_race' }
  const fields = changedFields(DEFAULT_NOTIFICATION_POLICY, checked.value)
  await store.appendAudit({ at: now(), actor: 'system', action: 'settings.notifications.import', fields })
  return { outcome: 'imported', fields }
}
