/**
 * claimDue: the one query whose SQL differs between the dialects.
 *
 * Due rows are queued/retrying/unknown ones whose next_attempt_at has come, plus 'sending' rows whose
 * lease has run out (their worker died). They are ordered by priority (critical first), then due time.
 * - PostgreSQL: the candidate rows are locked with FOR UPDATE SKIP LOCKED inside a MATERIALIZED CTE,
 *   so concurrent claimers each take different rows and never wait on each other; the CTE is
 *   evaluated exactly once (a plain IN-subquery may be re-planned into a join).
 * - SQLite: one UPDATE … WHERE id IN (SELECT … LIMIT) statement is atomic on its own — it takes the
 *   database's write lock for its whole run (busy_timeout makes other processes wait for it). The
 *   candidates are picked per state so each part walks an index in order (sqliteCandidates).
 */
import { sql, type Kysely, type Selectable } from 'kysely'
import type { ClaimOptions, Delivery } from '../outbox/index.js'
import type { Dialect } from './dialect.js'
import { toDelivery } from './mapping.js'
import type { Database, DeliveriesTable } from './schema.js'

/**
 * SQLite: the first `limit` due rows of one state, read in the order of the deliveries_due index
 * (state, priority, next_attempt_at). One `state IN (…) OR …` query made SQLite read and sort every
 * row of those states on each claim: with 20,000 queued that was most of a drain's CPU.
 */
function sqliteCandidates(state: 'queued' | 'retrying' | 'unknown', now: number, limit: number) {
  return sql`SELECT * FROM (
    SELECT id, priority, next_attempt_at FROM deliveries WHERE state = ${state} AND next_attempt_at <= ${now}
    ORDER BY priority, next_attempt_at, id LIMIT ${limit}
  )`
}

export async function claimDue(db: Kysely<Database>, dialect: Dialect, opts: ClaimOptions): Promise<Delivery[]> {
  if (opts.limit <= 0) return []
  const now = opts.now.getTime()
  const until = now + opts.leaseMs
  const due = sql`(state IN ('queued', 'retrying', 'unknown') AND next_attempt_at <= ${now})
       OR (state = 'sending' AND lease_until < ${now})`
  const query =
    dialect === 'postgres'
      ? sql<Selectable<DeliveriesTable>>`
        WITH due AS MATERIALIZED (
          SELECT id FROM deliveries WHERE ${due}
          ORDER BY priority, next_attempt_at, id
          LIMIT ${opts.limit}
          FOR UPDATE SKIP LOCKED
        )
        UPDATE deliveries AS d
        SET state = 'sending', lease_owner = ${opts.owner}, lease_until = ${until}, updated_at = ${now}
        FROM due WHERE d.id = due.id
        RETURNING d.*`
      : sql<Selectable<DeliveriesTable>>`
        UPDATE deliveries
        SET state = 'sending', lease_owner = ${opts.owner}, lease_until = ${until}, updated_at = ${now}
        WHERE id IN (
          SELECT id FROM (
            ${sqliteCandidates('queued', now, opts.limit)}
            UNION ALL ${sqliteCandidates('retrying', now, opts.limit)}
            UNION ALL ${sqliteCandidates('unknown', now, opts.limit)}
            UNION ALL SELECT * FROM (
              SELECT id, priority, next_attempt_at FROM deliveries WHERE state = 'sending' AND lease_until < ${now}
              ORDER BY priority, next_attempt_at, id LIMIT ${opts.limit}
            )
          )
          ORDER BY priority, next_attempt_at, id
          LIMIT ${opts.limit}
        )
        RETURNING *`
  const { rows } = await query.execute(db)
  // RETURNING order is unspecified: restore the claim order for the worker.
  return rows.map(toDelivery).sort(
    (a, b) => a.priority - b.priority || a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || (a.id < b.id ? -1 : 1),
  )
}
