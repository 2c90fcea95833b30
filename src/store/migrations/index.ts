import { Migrator, type Kysely, type MigrationResultSet } from 'kysely'
import type { Dialect } from '../dialect.js'
import { initial } from './0001-initial.js'
import { events } from './0002-events.js'
import { appSettings } from './0003-app-settings.js'
import { retentionIndexes } from './0004-retention-indexes.js'

/**
 * Migrations in code (no file-system provider: the build output must not depend on a folder scan).
 * Names sort in the order they run; never rename or edit one that has shipped — add the next.
 */
function migrationsFor(dialect: Dialect) {
  return {
    '0001-initial': initial(dialect),
    '0002-events': events(dialect),
    '0003-app-settings': appSettings(),
    '0004-retention-indexes': retentionIndexes(),
  }
}

/** Brings the schema to the latest version; throws with the failing migration's name. */
export async function runMigrations(db: Kysely<unknown>, dialect: Dialect): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrationsFor(dialect) },
    migrationTableName: 'alertmail_migration',
    migrationLockTableName: 'alertmail_migration_lock',
  })
  const result = await migrator.migrateToLatest()
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`migration ${failed} failed`, { cause: result.error })
  }
  return result
}
