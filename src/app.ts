/**
 * The composition root (STYLE.md §2.1): the only place that wires config → store → SecretBox →
 * Notifier → Worker → HTTP. Nothing else constructs these.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './http/app.js'
import { BacklogGauge, DEFAULT_BACKLOG_LIMITS } from './http/backlog.js'
import { loadAdminToken } from './http/admin-token.js'
import type { FailureLimiter } from './http/failure-limiter.js'
import { MailHealth } from './http/mail-health.js'
import { Metrics } from './http/metrics.js'
import { createIntake, createPreview } from './http/notify-adapters.js'
import { loadSaved } from './http/settings-view.js'
import { Notifier } from './notify/index.js'
import { Pruner, RETENTION_DAYS_RANGE, Worker } from './outbox/index.js'
import { importLegacyPolicyFile, StoredPolicy } from './http/notification-policy.js'
import { observeAttempts } from './http/metrics.js'
import { workerConfigSource } from './http/settings-view.js'
import { SecretBox } from './settings/index.js'
import { migrate, openStore, type AlertmailStore, type MigrateResult } from './store/index.js'
import { createLogger, logSmtpDiagnostics } from './http/logging.js'
import type { Intake } from './http/routes/events.js'
import type { PolicyStorage, PreviewResult } from './http/routes/notifications.js'

export interface AlertmailConfig {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  /** Unset ⇒ SQLite in dataDir; postgres://… ⇒ PostgreSQL. */
  readonly databaseUrl?: string | undefined
  readonly adminToken?: string | undefined
  readonly secretKey?: string | undefined
  /** Built admin UI; default: web/dist of the package. */
  readonly webRoot?: string | undefined
  readonly logLevel: string
  /** How long a claimed delivery stays ours without renewal; after a crash, others resume after it. */
  readonly leaseMs: number
  /** Intake answers 503 ERR_QUEUE_FULL while this many events wait to be folded into notifications. */
  readonly maxPendingEvents: number
  /** Intake answers 503 ERR_QUEUE_FULL while this many deliveries are not yet sent, failed or suppressed. */
  readonly maxQueuedDeliveries: number
  /** Finished deliveries, notifications left without any and processed events older than this many days are deleted. */
  readonly retentionDays: number
}

/** DESIGN.md §3 environment, with its defaults. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AlertmailConfig {
  const port = env['ALERTMAIL_PORT'] === undefined || env['ALERTMAIL_PORT'] === '' ? 8025 : Number(env['ALERTMAIL_PORT'])
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw Object.assign(new Error(`ALERTMAIL_PORT must be a port number (0–65535), got "${env['ALERTMAIL_PORT']}"`), { code: 'ERR_CONFIG_PORT' })
  }
  return {
    port,
    host: env['ALERTMAIL_HOST'] || '127.0.0.1',
    dataDir: resolve(env['ALERTMAIL_DATA_DIR'] || './data'),
    databaseUrl: env['ALERTMAIL_DATABASE_URL'] || undefined,
    adminToken: env['ALERTMAIL_ADMIN_TOKEN'] || undefined,
    secretKey: env['ALERTMAIL_SECRET_KEY'] || undefined,
    webRoot: env['ALERTMAIL_WEB_ROOT'] || undefined,
    logLevel: env['ALERTMAIL_LOG_LEVEL'] || 'info',
    leaseMs: positiveInt(env, 'ALERTMAIL_WORKER_LEASE_MS', 120_000),
    maxPendingEvents: positiveInt(env, 'ALERTMAIL_MAX_PENDING_EVENTS', DEFAULT_BACKLOG_LIMITS.pendingEvents),
    maxQueuedDeliveries: positiveInt(env, 'ALERTMAIL_MAX_QUEUED_DELIVERIES', DEFAULT_BACKLOG_LIMITS.queuedDeliveries),
    retentionDays: retentionDays(env),
  }
}

/** ALERTMAIL_RETENTION_DAYS: whole days, default 30; 0 ("keep nothing"? "forever"?) is refused, not guessed. */
function retentionDays(env: NodeJS.ProcessEnv): number {
  const days = positiveInt(env, 'ALERTMAIL_RETENTION_DAYS', 30)
  if (days > RETENTION_DAYS_RANGE.max) {
    throw Object.assign(new Error(`ALERTMAIL_RETENTION_DAYS must be at most ${RETENTION_DAYS_RANGE.max} days, got "${env['ALERTMAIL_RETENTION_DAYS']}"`), { code: 'ERR_CONFIG_ENV' })
  }
  return days
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error(`${name} must be a positive integer, got "${raw}"`), { code: 'ERR_CONFIG_ENV' })
  return n
}

/** `alertmail migrate`: the store's migrations for the configured database (the CLI reaches the store only through here). */
export async function migrateDatabase(config: Pick<AlertmailConfig, 'dataDir' | 'databaseUrl'>): Promise<MigrateResult> {
  return migrate({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
}

/** web/dist of this package, from src/app.ts (tests) or dist/src/app.js (built). */
function defaultWebRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'web', 'dist')
    dir = dirname(dir)
  }
  return undefined
}

/** Notifier + Worker as the HTTP layer and the lifecycle see them. */
export interface Pipeline {
  readonly intake: Intake
  readonly policy: PolicyStorage
  readonly preview: (body: unknown) => Promise<PreviewResult>
  /** There is new work (events, a manual retry): tick now instead of at the next poll. */
  wake(): void
  start(): void
  /** Stops claiming; in-flight sends finish and their results are written. */
  stop(): Promise<void>
}

interface PipelineDeps {
  readonly leaseMs: number
  readonly retentionDays: number
  /** Tests only: when the first retention pass runs (default: a minute after start). */
  readonly retentionFirstDelayMs?: number | undefined
  readonly backlog: BacklogGauge
  readonly store: AlertmailStore
  readonly secrets: SecretBox
  readonly metrics: Metrics
  readonly mailHealth: MailHealth
  readonly logger: Logger
  readonly now: () => Date
}

function createPipeline(deps: PipelineDeps): Pipeline {
  const { store, logger, now } = deps
  // Shared by every process on the database; cached ~2 s so the notifier's ticks don't query it.
  const policy = new StoredPolicy(store, {
    onInvalid: (version, errors) =>
      logger.warn({ version, errors }, 'the stored notification policy does not validate; using the defaults until it is saved again'),
  })
  const notifier = new Notifier({
    store,
    getSettings: async () => (await loadSaved(store)).settings,
    getPolicy: async () => (await policy.get()).policy,
    now,
    onError: (err) => logger.error({ err }, 'notifier pass failed; events stay pending'),
    // New deliveries (critical ones above all) should not wait for the worker's next poll.
    onEnqueued: () => worker.nudge(),
  })
  const worker = new Worker({
    // Every attempt's outcome also feeds /metrics and the mail-health banner.
    store: observeAttempts(store, deps.metrics, deps.mailHealth),
    getConfig: workerConfigSource(store, deps.secrets),
    leaseMs: deps.leaseMs,
    onError: (err) => logger.error({ err }, 'delivery worker error'),
  })
  // Retention (issue 6 §6): soon after start, then hourly, one pass at a time.
  const pruner = new Pruner({
    store,
    retentionDays: deps.retentionDays,
    ...(deps.retentionFirstDelayMs === undefined ? {} : { firstDelayMs: deps.retentionFirstDelayMs }),
    now,
    onPruned: (counts, cutoff) => {
      for (const table of ['events', 'notifications', 'deliveries', 'attempts'] as const) deps.metrics.pruned.inc({ table }, counts[table])
      if (counts.events + counts.notifications + counts.deliveries + counts.attempts === 0) return
      logger.info({ ...counts, before: cutoff.toISOString(), retentionDays: deps.retentionDays }, 'retention: deleted what was older than the retention period')
    },
    onError: (err) => logger.error({ err }, 'retention pass failed; the next one retries'),
  })
  return {
    intake: createIntake(notifier, deps.backlog),
    policy,
    preview: createPreview(async () => (await loadSaved(store)).settings.templates),
    wake() {
      worker.nudge()
    },
    start() {
      notifier.start()
      worker.start()
      pruner.start()
    },
    async stop() {
      // Retention stops after its current batch; the grouper next (no new deliveries), then the
      // worker lets in-flight sends finish.
      await pruner.stop()
      await notifier.stop()
      await worker.stop({ graceMs: 10_000 })
    },
  }
}

/** Intake's backlog limit, logging once when intake starts refusing and once when it accepts again. */
function createBacklogGauge(config: AlertmailConfig, store: AlertmailStore, logger: Logger, now: () => Date): BacklogGauge {
  return new BacklogGauge({
    source: store,
    limits: { pendingEvents: config.maxPendingEvents, queuedDeliveries: config.maxQueuedDeliveries },
    now,
    onRefusing: (r) =>
      logger.warn(
        { backlog: r.backlog, count: r.count, limit: r.limit, env: r.env },
        `intake is refusing events (503 ERR_QUEUE_FULL): ${r.count} ${r.backlog === 'pendingEvents' ? 'pending events' : 'queued deliveries'} reached the limit of ${r.limit} (${r.env})`,
      ),
    onAccepting: (i) => logger.info({ refused: i.refused, refusingForMs: i.refusingForMs }, `intake accepts events again after refusing ${i.refused} requests`),
    onRefreshError: (err) => logger.debug({ err }, 'backlog count failed; using the last one'),
  })
}

export interface Alertmail {
  readonly app: FastifyInstance
  readonly store: AlertmailStore
  readonly adminToken: string
  readonly logger: Logger
  readonly pipeline: Pipeline
  readonly metrics: Metrics
  readonly mailHealth: MailHealth
  readonly backlog: BacklogGauge
  /** Starts the delivery worker and listens; resolves with the bound address (http://host:port). */
  start(): Promise<string>
  /** Graceful: stop accepting, let in-flight requests and sends finish, close the store. */
  stop(): Promise<void>
}

export interface CreateOptions {
  readonly logger?: Logger
  /** Where the one-time admin token notice goes (default: stdout). */
  readonly print?: (line: string) => void
  /** Run the notifier and delivery worker (default true). */
  readonly background?: boolean
  readonly authLimiter?: FailureLimiter
  readonly now?: () => Date
  /** When the first retention pass runs after start (default: a minute later). */
  readonly retentionFirstDelayMs?: number
}

export async function createAlertmail(config: AlertmailConfig, opts: CreateOptions = {}): Promise<Alertmail> {
  const logger = opts.logger ?? createLogger(config.logLevel)
  const now = opts.now ?? (() => new Date())
  const admin = loadAdminToken({ dataDir: config.dataDir, envToken: config.adminToken })
  if (admin.source === 'generated') {
    // Printed once, never logged: it is in the 0600 file for later.
    ;(opts.print ?? ((l: string) => process.stdout.write(`${l}\n`)))(
      `alertmail: generated the admin token (saved in ${admin.path ?? 'the data dir'}, mode 0600):\n  ${admin.token}`,
    )
  }
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  try {
    const secrets = await SecretBox.open({ dataDir: config.dataDir, key: config.secretKey })
    const metrics = new Metrics()
    const mailHealth = new MailHealth({ now })
    const imported = await importLegacyPolicyFile(store, config.dataDir, now)
    if (imported.outcome === 'imported') logger.info({ fields: imported.fields }, 'imported notification-policy.json from the data dir into the database (the file is no longer read)')
    if (imported.outcome === 'invalid') logger.warn({ reason: imported.reason }, 'notification-policy.json in the data dir is not a valid policy; not imported, the defaults apply')
    const backlog = createBacklogGauge(config, store, logger, now)
    metrics.observeBacklog(backlog)
    const pipeline = createPipeline({ leaseMs: config.leaseMs, retentionDays: config.retentionDays, retentionFirstDelayMs: opts.retentionFirstDelayMs, backlog, store, secrets, metrics, mailHealth, logger, now })
    const unsubscribe = logSmtpDiagnostics(logger)
    const app = await buildApp({
      store,
      secrets,
      intake: pipeline.intake,
      notifications: { policy: pipeline.policy, preview: pipeline.preview },
      adminToken: admin.token,
      logger,
      metrics,
      mailHealth,
      backlog,
      now,
      wake: () => pipeline.wake(),
      ...(opts.authLimiter ? { authLimiter: opts.authLimiter } : {}),
      ...((config.webRoot ?? defaultWebRoot()) ? { webRoot: (config.webRoot ?? defaultWebRoot()) as string } : {}),
    })
    const background = opts.background ?? true
    let stopped = false
    return {
      app,
      store,
      adminToken: admin.token,
      logger,
      pipeline,
      metrics,
      mailHealth,
      backlog,
      async start() {
        const address = await app.listen({ host: config.host, port: config.port })
        if (background) pipeline.start()
        logger.info({ address, dialect: store.dialect, dataDir: config.dataDir }, 'alertmail listening')
        return address
      },
      async stop() {
        if (stopped) return
        stopped = true
        // Order: no new requests, then let the worker finish in-flight sends, then close the database.
        await app.close()
        await pipeline.stop()
        unsubscribe()
        await store.close()
      },
    }
  } catch (err) {
    await store.close()
    throw err
  }
}
