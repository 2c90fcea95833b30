/**
 * `alertmail migrate`: creates or upgrades the database (SQLite in ALERTMAIL_DATA_DIR, or
 * ALERTMAIL_DATABASE_URL) and exits. `serve` runs the same migrations on start.
 */
import { configFromEnv, migrateDatabase } from '../../app.js'

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('alertmail migrate\n\nApplies pending database migrations (env: ALERTMAIL_DATA_DIR, ALERTMAIL_DATABASE_URL) and exits.\n')
    return 0
  }
  if (argv.length > 0) {
    process.stderr.write(`alertmail migrate: unexpected argument "${argv[0] ?? ''}"\n`)
    return 2
  }
  try {
    const config = configFromEnv()
    const result = await migrateDatabase(config)
    const where = result.dialect === 'sqlite' ? `SQLite in ${config.dataDir}` : 'PostgreSQL'
    process.stdout.write(
      result.applied.length === 0
        ? `alertmail migrate: ${where} is up to date\n`
        : `alertmail migrate: applied ${result.applied.length} migration(s) to ${where}: ${result.applied.join(', ')}\n`,
    )
    return 0
  } catch (err) {
    process.stderr.write(`alertmail migrate: ${(err as Error).message.split('\n')[0] ?? 'failed'}\n`)
    return 1
  }
}
