/**
 * The Notifier tests run against three NotifyStores: the in-memory fake, the real SQLite store and
 * the real PostgreSQL store (a throwaway database on 127.0.0.1:5432). Each harness reads back every
 * delivery with its notification in commit order.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NotificationKind, QuietHours, Severity, User } from '../../src/outbox/index.js'
import type { NotifyStore } from '../../src/notify/index.js'
import { openStore, type AlertmailStore } from '../../src/store/index.js'
import { createTestDatabase } from '../support/pg.js'
import { MemoryNotifyStore } from './memory-store.js'

export interface Mail {
  readonly notificationId: string
  readonly kind: NotificationKind
  readonly eventCount: number
  readonly severity: Severity
  readonly recipient: string
  readonly userId: string | undefined
  readonly subject: string
  readonly text: string
  readonly html: string
  readonly state: string
  readonly messageId: string
  readonly nextAttemptAt: Date
  /** The notification's (the pass's clock). */
  readonly createdAt: Date
}

export interface UserSpec {
  readonly email: string
  readonly severities: readonly Severity[]
  readonly enabled?: boolean
  readonly quietHours?: QuietHours
}

export interface Harness {
  readonly store: NotifyStore
  addUser(spec: UserSpec): Promise<User>
  /** Every delivery so far, oldest notification first. */
  mails(): Promise<Mail[]>
  close(): Promise<void>
}

export type HarnessFactory = () => Promise<Harness>

const userInput = (s: UserSpec) => ({
  name: s.email.split('@')[0] ?? s.email,
  email: s.email,
  enabled: s.enabled ?? true,
  severities: s.severities,
  ...(s.quietHours ? { quietHours: s.quietHours } : {}),
})

export const memoryHarness: HarnessFactory = async () => {
  const store = new MemoryNotifyStore()
  let n = 0
  return {
    store,
    async addUser(spec) {
      const at = new Date(0)
      const user: User = { id: `u${++n}`, createdAt: at, updatedAt: at, ...userInput(spec) }
      store.users.push(user)
      return user
    },
    async mails() {
      return store.deliveries().map((d) => ({
        notificationId: d.notification.id,
        kind: d.notification.kind,
        eventCount: d.notification.eventCount,
        severity: d.notification.severity,
        recipient: d.recipient,
        userId: d.userId,
        subject: d.subject,
        text: d.text,
        html: d.html ?? '',
        state: d.state ?? 'queued',
        messageId: d.messageId,
        nextAttemptAt: d.nextAttemptAt ?? d.notification.createdAt,
        createdAt: d.notification.createdAt,
      }))
    },
    async close() {},
  }
}

function storeHarness(store: AlertmailStore, cleanup: () => Promise<void>): Harness {
  return {
    store,
    async addUser(spec) {
      const r = await store.createUser(userInput(spec), new Date())
      if (!r.ok) throw new Error(r.error)
      return r.user
    },
    async mails() {
      const summaries = []
      let cursor: string | undefined
      do {
        const page = await store.listDeliveries({ limit: 1000, ...(cursor ? { cursor } : {}) })
        summaries.push(...page.items)
        cursor = page.nextCursor
      } while (cursor)
      const mails: Mail[] = []
      for (const s of summaries) {
        const d = await store.getDelivery(s.id)
        const n = await store.getNotification(s.notificationId)
        if (!d || !n) throw new Error(`delivery ${s.id} vanished`)
        mails.push({
          notificationId: n.id,
          kind: n.kind,
          eventCount: n.eventCount,
          severity: n.severity,
          recipient: d.recipient,
          userId: d.userId,
          subject: d.subject,
          text: d.text,
          html: d.html ?? '',
          state: d.state,
          messageId: d.messageId,
          nextAttemptAt: d.nextAttemptAt,
          createdAt: n.createdAt,
        })
      }
      // The log is newest first; tests read in pass order (ties: user mails before the support copy).
      const rank = (m: Mail) => (m.kind === 'support' ? 1 : 0)
      return mails.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || rank(a) - rank(b) || a.recipient.localeCompare(b.recipient))
    },
    async close() {
      await store.close()
      await cleanup()
    },
  }
}

export const sqliteHarness: HarnessFactory = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'alertmail-notify-'))
  const store = await openStore({ dataDir })
  return storeHarness(store, () => rm(dataDir, { recursive: true, force: true }))
}

export const postgresHarness: HarnessFactory = async () => {
  const db = await createTestDatabase('alertmail_notify')
  const dataDir = await mkdtemp(join(tmpdir(), 'alertmail-notify-pg-'))
  const store = await openStore({ databaseUrl: db.url, dataDir })
  return storeHarness(store, async () => {
    await db.drop()
    await rm(dataDir, { recursive: true, force: true })
  })
}
