import { readFile, rename, writeFile } from 'node:fs/promises'
import { DEFAULT_NOTIFICATION_POLICY, validateNotificationPolicy, type NotificationPolicy } from '../notify/index.js'
import type { PolicyStorage } from './routes/notifications.js'

export const POLICY_FILE = 'notification-policy.json'

/**
 * The grouping policy, kept as JSON in the data dir (the Store port has no place for it yet).
 * Re-read at most every few seconds so a change made by another process on this host shows up.
 */
export class PolicyFile implements PolicyStorage {
  readonly #path: string
  #cache: { policy: NotificationPolicy; at: number } | undefined

  constructor(path: string) {
    this.#path = path
  }

  async get(): Promise<NotificationPolicy> {
    if (this.#cache && Date.now() - this.#cache.at < 5_000) return this.#cache.policy
    let policy: NotificationPolicy = DEFAULT_NOTIFICATION_POLICY
    try {
      const checked = validateNotificationPolicy(JSON.parse(await readFile(this.#path, 'utf8')))
      if (checked.ok) policy = checked.value
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err
    }
    this.#cache = { policy, at: Date.now() }
    return policy
  }

  async save(policy: NotificationPolicy): Promise<void> {
    // Write-then-rename: a reader never sees half a file.
    const tmp = `${this.#path}.${process.pid}.tmp`
    await writeFile(tmp, `${JSON.stringify(policy, null, 2)}\n`, { mode: 0o600 })
    await rename(tmp, this.#path)
    this.#cache = { policy, at: Date.now() }
  }
}

