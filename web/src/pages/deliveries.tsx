import { Fragment, useCallback, useEffect, useId, useState } from 'react'
import type { ReactNode } from 'react'
import { api, isRecord, listOf, problemText } from '../api.js'
import { DeliveryDetail, lastReplyOf, recipientOf, statusOf, text, when } from './delivery-detail.js'
import type { Delivery } from './delivery-detail.js'
import { SEVERITIES } from './user-form.js'

const STATUSES = ['queued', 'sending', 'retrying', 'sent', 'failed', 'suppressed', 'unknown'] as const
const REFRESH_MS = 5_000
/** The API's page size and its largest `limit`. */
const PAGE = 50
const MAX_LIMIT = 1000
// The API retries only failed (dead-lettered) deliveries; the others are still in the worker's hands.
const RETRYABLE = /^(failed|dead)$/

function timeOf(d: Delivery): number {
  const t = Date.parse(text(d.createdAt ?? d.queuedAt ?? d.updatedAt))
  return Number.isNaN(t) ? 0 : t
}

/** System → Delivery log: one row per recipient, newest first, with attempts and manual retry. */
export function DeliveriesPage(): ReactNode {
  const id = useId()
  const [status, setStatus] = useState('')
  const [severity, setSeverity] = useState('')
  const [auto, setAuto] = useState(true)
  const [rows, setRows] = useState<Delivery[]>()
  const [error, setError] = useState<string>()
  const [open, setOpen] = useState<string>()
  const [message, setMessage] = useState<string>()
  const [updated, setUpdated] = useState<Date>()
  const [limit, setLimit] = useState(PAGE)
  const [hasMore, setHasMore] = useState(false)

  const load = useCallback(async (): Promise<void> => {
    const q = new URLSearchParams()
    if (status !== '') q.set('status', status)
    if (severity !== '') q.set('severity', severity)
    q.set('limit', String(limit))
    const res = await api<unknown>('GET', `/api/v1/deliveries${q.size > 0 ? `?${q.toString()}` : ''}`)
    if (!res.ok) return setError(problemText(res.problem))
    setError(undefined)
    const list = listOf<Delivery>(res.data, 'deliveries')
      .filter((d) => status === '' || statusOf(d) === status)
      .filter((d) => severity === '' || text(d.severity) === '' || text(d.severity) === severity)
    setRows([...list].sort((a, b) => timeOf(b) - timeOf(a)))
    setHasMore(isRecord(res.data) && typeof res.data.nextCursor === 'string' && limit < MAX_LIMIT)
    setUpdated(new Date())
  }, [status, severity, limit])

  useEffect(() => {
    void load()
    if (!auto) return
    const timer = window.setInterval(() => void load(), REFRESH_MS)
    return () => window.clearInterval(timer)
  }, [load, auto])

  async function retry(d: Delivery): Promise<void> {
    const res = await api<unknown>('POST', `/api/v1/deliveries/${encodeURIComponent(String(d.id))}/retry`)
    setMessage(res.ok ? `Retry queued for ${recipientOf(d)}.` : `Retry refused: ${problemText(res.problem)}`)
    await load()
  }

  return (
    <div className="deliveries-page">
      <header className="page-header">
        <h1>Delivery log</h1>
        <p className="lead">
          Every notification, per recipient: what the server answered, and each attempt's transcript.
        </p>
      </header>
      <div className="filters card" role="search" aria-label="Filter deliveries">
        <div className="filter">
          <label htmlFor={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor={`${id}-sev`}>Severity</label>
          <select id={`${id}-sev`} value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
            <option value="">All</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <label className="check filter">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} />{' '}
          Auto-refresh every {REFRESH_MS / 1000} s
        </label>
        <button type="button" className="button button-secondary" onClick={() => void load()}>
          Refresh
        </button>
        <span className="muted small" aria-live="off">
          {updated !== undefined ? `Updated ${updated.toLocaleTimeString()}` : ''}
        </span>
      </div>
      <p role="status" className="page-status">
        {message}
      </p>
      {error !== undefined && (
        <p className="alert alert-error" role="alert">
          Could not load the delivery log: {error}
        </p>
      )}
      {rows === undefined && error === undefined && <p role="status">Loading deliveries…</p>}
      {rows !== undefined && rows.length === 0 && (
        <p className="empty">
          No deliveries{status !== '' || severity !== '' ? ' match these filters' : ' yet'}.
        </p>
      )}
      {rows !== undefined && rows.length > 0 && (
        <div className="table-wrap card">
          <table className="data-table" data-testid="deliveries-table">
            <caption className="visually-hidden">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">Recipient</th>
                <th scope="col">Subject</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last reply</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => {
                const key = String(d.id)
                const st = statusOf(d)
                const isOpen = open === key
                const attempts = Array.isArray(d.attempts) ? d.attempts.length : text(d.attempts)
                return (
                  <Fragment key={key}>
                    <tr data-status={st} data-recipient={recipientOf(d)} data-id={key}>
                      <td data-label="Queued">{when(d.createdAt ?? d.queuedAt)}</td>
                      <th scope="row" data-label="Recipient">
                        {recipientOf(d)}
                      </th>
                      <td data-label="Subject">{text(d.subject)}</td>
                      <td data-label="Severity">
                        {text(d.severity) !== '' && (
                          <span className={`sev sev-${text(d.severity)}`}>{text(d.severity)}</span>
                        )}
                      </td>
                      <td data-label="Status">
                        <span className={`badge status-${st}`}>{st}</span>
                      </td>
                      <td data-label="Attempts">{attempts}</td>
                      <td data-label="Last reply">
                        <code className="reply">{lastReplyOf(d)}</code>
                      </td>
                      <td className="row-actions">
                        <button
                          type="button"
                          className="button button-small button-secondary"
                          aria-expanded={isOpen}
                          aria-controls={`${id}-d-${key}`}
                          onClick={() => setOpen(isOpen ? undefined : key)}
                        >
                          {isOpen ? 'Hide' : 'Details'}
                          <span className="visually-hidden"> for {recipientOf(d)}</span>
                        </button>
                        {RETRYABLE.test(st) && (
                          <button type="button" className="button button-small" onClick={() => void retry(d)}>
                            Retry<span className="visually-hidden"> {recipientOf(d)}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                    {isOpen && (
                      <tr className="detail-row" id={`${id}-d-${key}`}>
                        <td colSpan={8}>
                          <DeliveryDetail
                            id={d.id}
                            retryable={RETRYABLE.test(st)}
                            onRetry={() => void retry(d)}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
      {hasMore && (
        <button
          type="button"
          className="button button-secondary"
          onClick={() => setLimit((l) => Math.min(MAX_LIMIT, l + PAGE))}
        >
          Show older deliveries
        </button>
      )}
    </div>
  )
}
