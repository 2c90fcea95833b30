/**
 * `alertmail serve` (DESIGN.md §3): HTTP API + UI + delivery workers in one process, configured by
 * the ALERTMAIL_* environment. Resolves with the exit status after a graceful shutdown
 * (SIGTERM/SIGINT: stop accepting, let in-flight sends finish, close the store).
 */
import { configFromEnv, createAlertmail } from '../../app.js'

export const SERVE_USAGE = `alertmail serve

Environment:
  ALERTMAIL_PORT          listen port (default 8025)
  ALERTMAIL_HOST          listen address (default 127.0.0.1)
  ALERTMAIL_DATA_DIR      data directory: SQLite file, secret key, admin token (default ./data)
  ALERTMAIL_DATABASE_URL  postgres://… to use PostgreSQL (default: SQLite in the data dir)
  ALERTMAIL_ADMIN_TOKEN   bootstrap admin bearer token (default: generated, saved 0600, printed once)
  ALERTMAIL_SECRET_KEY    key for secrets at rest (default: a key file in the data dir)
  ALERTMAIL_LOG_LEVEL     pino level (default info)
  ALERTMAIL_WORKER_LEASE_MS  delivery lease; after a crash others resume after it (default 120000)
  ALERTMAIL_MAX_PENDING_EVENTS     intake answers 503 while this many events wait to be grouped (default 1000000)
  ALERTMAIL_MAX_QUEUED_DELIVERIES  intake answers 503 while this many deliveries wait to be sent (default 100000)
  ALERTMAIL_RETENTION_DAYS         finished deliveries and processed events older than this are deleted (default 30)
`

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SERVE_USAGE)
    return 0
  }
  if (argv.length > 0) {
    process.stderr.write(`alertmail serve: unexpected argument "${argv[0] ?? ''}" (configuration comes from ALERTMAIL_* variables)\n`)
    return 2
  }
  let config
  try {
    config = configFromEnv()
  } catch (err) {
    process.stderr.write(`alertmail serve: ${(err as Error).message}\n`)
    return 2
  }
  const am = await createAlertmail(config)
  try {
    await am.start()
  } catch (err) {
    am.logger.fatal({ err }, 'could not start')
    await am.stop().catch(() => {})
    return 1
  }
  const code = await new Promise<number>((resolve) => {
    let stopping = false
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal: the operator insists. Leave at once; leases expire and others resume.
        am.logger.warn({ signal }, 'second signal: exiting without waiting')
        resolve(130)
        return
      }
      stopping = true
      am.logger.info({ signal }, 'shutting down')
      am.stop().then(
        () => resolve(0),
        (err: unknown) => {
          am.logger.error({ err }, 'shutdown failed')
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', shutdown)
    process.on('SIGINT', shutdown)
  })
  // Everything is closed; should a stray handle keep the loop alive, do not hang the supervisor.
  setTimeout(() => process.exit(code), 2_000).unref()
  return code
}
