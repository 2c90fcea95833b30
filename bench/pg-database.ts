/**
 * A throwaway PostgreSQL database for the service bench: the tests' own helper (unique name on
 * 127.0.0.1:5432, `postgres` role then `root`, dropped after), under a bench prefix.
 */
import { createTestDatabase, type TestDatabase } from '../test/support/pg.js'

export type BenchDatabase = TestDatabase

export function createBenchDatabase(): Promise<BenchDatabase> {
  return createTestDatabase('alertmail_bench')
}
