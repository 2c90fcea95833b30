/**
 * Faults in the service (issue 6 §4): how database faults become HTTP answers. A database that is
 * away is 503 ERR_STORE_UNAVAILABLE, a full disk 507 ERR_STORE_FULL, both with Retry-After
 * (RFC 9110 §10.2.3) so senders retry; anything else stays a 500 that leaks nothing.
 */
import { describe, expect, it } from 'vitest'
import { problemFromError } from '../../src/http/problem.js'

const err = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code })

describe('faults: store errors as problems', () => {
  const unavailable: [string, Error][] = [
    ['pg: terminated by the administrator (57P01)', err('terminating connection due to administrator command', '57P01')],
    ['pg: server shutting down (57P02)', err('terminating connection due to crash of another server process', '57P02')],
    ['pg: starting up (57P03)', err('the database system is starting up', '57P03')],
    ['pg: connection failure (08006)', err('connection failure', '08006')],
    ['pg: too many connections (53300)', err('sorry, too many clients already', '53300')],
    ['pg: database not accepting connections (55000)', err('database "x" is not currently accepting connections', '55000')],
    ['network: ECONNREFUSED', err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['network: ECONNRESET', err('read ECONNRESET', 'ECONNRESET')],
    ['pg: connection cut (no code)', err('Connection terminated unexpectedly')],
    ['pg: connect timeout (no code)', err('timeout exceeded when trying to connect')],
    ['sqlite: I/O error', err('disk I/O error', 'SQLITE_IOERR_WRITE')],
    ['sqlite: busy', err('database is locked', 'SQLITE_BUSY')],
    ['sqlite: automatic rollback hid the first error', err('cannot rollback - no transaction is active', 'SQLITE_ERROR')],
    ['wrapped: the cause is a dead connection', Object.assign(new Error('insert failed'), { cause: err('Connection terminated unexpectedly') })],
  ]
  for (const [what, e] of unavailable) {
    it(`503 ERR_STORE_UNAVAILABLE with Retry-After: ${what}`, () => {
      const p = problemFromError(e)
      expect(p).toMatchObject({ status: 503, code: 'ERR_STORE_UNAVAILABLE' })
      expect(p['retryAfter']).toBeGreaterThan(0)
      expect(p.detail).not.toContain(e.message)
    })
  }

  for (const [what, e] of [
    ['sqlite: SQLITE_FULL', err('database or disk is full', 'SQLITE_FULL')],
    ['pg: disk_full (53100)', err('could not extend file', '53100')],
    ['fs: ENOSPC', err('no space left on device', 'ENOSPC')],
  ] as const) {
    it(`507 ERR_STORE_FULL with Retry-After: ${what}`, () => {
      const p = problemFromError(e)
      expect(p).toMatchObject({ status: 507, code: 'ERR_STORE_FULL', title: 'Insufficient Storage' })
      expect(p['retryAfter']).toBeGreaterThan(0)
    })
  }

  it('other database errors stay 500 and leak nothing', () => {
    for (const e of [err('syntax error at or near "x"', '42601'), err('other 55000 state', '55000'), err('no such table: x', 'SQLITE_ERROR'), err('Connection terminated by a test')]) {
      const p = problemFromError(e)
      expect(p).toMatchObject({ status: 500, code: 'ERR_INTERNAL' })
      expect(p['retryAfter']).toBeUndefined()
      expect(p.detail).not.toContain(e.message)
    }
  })

  it('a cyclic cause chain does not loop', () => {
    const a = err('a') as Error & { cause?: unknown }
    a.cause = a
    expect(problemFromError(a).status).toBe(500)
  })
})
