import { useEffect, useState } from 'react'
import type { ReactNode } from 'react'
import { api, isRecord, listOf, problemText } from '../api.js'
import { text, when } from './delivery-detail.js'

type Entry = Record<string, unknown>

/** Which fields an entry changed; secrets arrive as "changed" only (never their values). */
function changesOf(e: Entry): string {
  const c = e.changes ?? e.fields ?? e.changedFields ?? e.diff
  if (Array.isArray(c))
    return (c as unknown[]).map((x) => (isRecord(x) ? text(x.field ?? x.path ?? x.name) : text(x))).join(', ')
  if (isRecord(c)) return Object.keys(c).join(', ')
  return text(c ?? e.detail ?? e.summary)
}

/** System → Audit: who changed what, and when (GET /api/v1/audit). */
export function AuditPage(): ReactNode {
  const [entries, setEntries] = useState<Entry[]>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    void api<unknown>('GET', '/api/v1/audit').then((res) => {
      if (res.ok) setEntries(listOf<Entry>(res.data, 'audit', 'entries', 'events'))
      else setError(problemText(res.problem))
    })
  }, [])
  return (
    <div className="audit-page">
      <header className="page-header">
        <h1>Audit</h1>
        <p className="lead">
          Every change to settings and users, newest first. Secrets are recorded as changed, never their
          values.
        </p>
      </header>
      {error !== undefined && (
        <p className="alert alert-error" role="alert">
          Could not load the audit log: {error}
        </p>
      )}
      {entries === undefined && error === undefined && <p role="status">Loading the audit log…</p>}
      {entries !== undefined && entries.length === 0 && <p className="empty">Nothing recorded yet.</p>}
      {entries !== undefined && entries.length > 0 && (
        <div className="table-wrap card">
          <table className="data-table" data-testid="audit-table">
            <caption className="visually-hidden">Audit log</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">What changed</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e, i) => (
                <tr key={text(e.id) || i}>
                  <td data-label="When">{when(e.at ?? e.createdAt ?? e.timestamp)}</td>
                  <td data-label="Who">{text(e.actor ?? e.user ?? e.by)}</td>
                  <td data-label="Action">
                    {text(e.action)}
                    {text(e.resource ?? e.entity ?? e.target) !== ''
                      ? ` · ${text(e.resource ?? e.entity ?? e.target)}`
                      : ''}
                  </td>
                  <td data-label="What changed">{changesOf(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}
