import { useEffect, useState } from 'react'
import type { ReactNode } from 'react'
import { api, isRecord, listOf, problemText, str } from '../api.js'

export type Delivery = Record<string, unknown> & { readonly id: string | number }

export function text(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (isRecord(v)) {
    if (typeof v.code === 'number' || typeof v.text === 'string')
      return `${str(v.code)} ${str(v.text)}`.trim()
    if (typeof v.message === 'string') return v.message
  }
  return JSON.stringify(v)
}

export function when(v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number') return ''
  const d = new Date(v)
  return Number.isNaN(d.getTime()) ? String(v) : d.toLocaleString()
}

export function recipientOf(d: Record<string, unknown>): string {
  return text(d.recipient ?? d.to ?? d.email ?? d.rcpt)
}

/** '550 5.1.1 No such user', from lastCode/lastEnhanced/lastReply (or a reply object). */
export function lastReplyOf(d: Record<string, unknown>): string {
  if (typeof d.lastReply === 'string') {
    const code =
      typeof d.lastCode === 'number' && !d.lastReply.startsWith(String(d.lastCode)) ? `${d.lastCode} ` : ''
    const enhanced =
      typeof d.lastEnhanced === 'string' && !d.lastReply.includes(d.lastEnhanced) ? `${d.lastEnhanced} ` : ''
    return `${code}${enhanced}${d.lastReply}`
  }
  return text(d.reply ?? d.lastError ?? d.failReason)
}

export function statusOf(d: Record<string, unknown>): string {
  return text(d.status ?? d.state)
}

export function transcriptText(t: unknown): string {
  if (typeof t === 'string') return t
  if (!Array.isArray(t)) return ''
  return (t as unknown[])
    .map((e) =>
      isRecord(e)
        ? `${typeof e.at === 'number' ? `${String(Math.round(e.at)).padStart(5)} ms ` : ''}${typeof e.dir === 'string' ? `${e.dir}: ` : ''}${text(e.line)}`
        : text(e),
    )
    .join('\n')
}

/** One delivery's attempts, each with its reply and redacted transcript (GET /api/v1/deliveries/:id). */
export function DeliveryDetail({
  id,
  onRetry,
  retryable,
}: {
  readonly id: string | number
  readonly onRetry: () => void
  readonly retryable: boolean
}): ReactNode {
  const [detail, setDetail] = useState<Record<string, unknown>>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    let live = true
    void api<unknown>('GET', `/api/v1/deliveries/${encodeURIComponent(String(id))}`).then((res) => {
      if (!live) return
      if (res.ok && isRecord(res.data))
        setDetail(isRecord(res.data.delivery) ? { ...res.data.delivery, ...res.data } : res.data)
      else if (!res.ok) setError(problemText(res.problem))
    })
    return () => {
      live = false
    }
  }, [id])

  if (error !== undefined) return <p className="error">Could not load the delivery: {error}</p>
  if (detail === undefined) return <p role="status">Loading attempts…</p>
  const attempts = listOf<Record<string, unknown>>(
    Array.isArray(detail.attemptLog) ? detail.attemptLog : detail.attempts,
    'attempts',
  )
  const lastTranscript = transcriptText(detail.transcript)
  return (
    <div className="delivery-detail">
      <dl className="facts">
        {[
          ['Subject', text(detail.subject)],
          ['Message-ID', text(detail.messageId)],
          ['Kind', text(detail.kind)],
          ['Notification', text(detail.notificationId)],
          ['Next attempt', statusOf(detail) === 'sent' ? '' : when(detail.nextAttemptAt)],
          ['Last reply', lastReplyOf(detail)],
          ['Why it failed', text(detail.failReason ?? detail.lastError)],
        ]
          .filter(([, v]) => v !== '')
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
      {retryable && (
        <button type="button" className="button button-small" onClick={onRetry}>
          Retry now
        </button>
      )}
      <h4>Attempts ({attempts.length})</h4>
      {attempts.length === 0 && <p className="empty">No attempts yet.</p>}
      <ol className="attempts">
        {attempts.map((a, i) => (
          <li key={text(a.id) || i}>
            <span
              className={`badge ${a.ok === true || /sent|ok|success/i.test(text(a.status ?? a.outcome)) ? 'badge-ok' : 'badge-error'}`}
            >
              {text(a.status ?? a.outcome) || (a.ok === true ? 'ok' : 'failed')}
            </span>{' '}
            <span>{when(a.startedAt ?? a.at ?? a.createdAt)}</span>
            {typeof a.ms === 'number' && <span className="muted"> · {Math.round(a.ms)} ms</span>}{' '}
            {attemptReply(a) !== '' && <code>{attemptReply(a)}</code>}{' '}
            {text(a.error ?? a.errorMessage) !== '' && (
              <span className="error-inline">{text(a.error ?? a.errorMessage)}</span>
            )}
            <details className="transcript">
              <summary>Transcript of attempt {i + 1}</summary>
              <pre>{transcriptText(a.transcript) || '(no transcript recorded)'}</pre>
            </details>
          </li>
        ))}
      </ol>
      {attempts.length === 0 && lastTranscript !== '' && (
        <details className="transcript">
          <summary>Transcript</summary>
          <pre>{lastTranscript}</pre>
        </details>
      )}
    </div>
  )
}

function attemptReply(a: Record<string, unknown>): string {
  const reply = text(a.reply)
  if (reply === '') return ''
  const code = typeof a.code === 'number' && !reply.startsWith(String(a.code)) ? `${a.code} ` : ''
  const enhanced = typeof a.enhanced === 'string' && !reply.includes(a.enhanced) ? `${a.enhanced} ` : ''
  return `${code}${enhanced}${reply}`
}
