import { useEffect, useState } from 'react'
import type { ReactNode } from 'react'
import { api, isRecord, str } from '../api.js'
import { ROUTES } from '../route.js'

const POLL_MS = 15_000

/** Reads GET /api/v1/health and says whether mail is failing; tolerant of the exact shape. */
export function mailFailure(data: unknown): string | undefined {
  if (!isRecord(data)) return undefined
  const mail = isRecord(data.mail) ? data.mail : isRecord(data.smtp) ? data.smtp : data
  const state = [mail.status, mail.state, data.status].find((s) => typeof s === 'string')
  const failing =
    mail.ok === false ||
    mail.healthy === false ||
    mail.failing === true ||
    (typeof state === 'string' && /fail|down|error|unhealthy|degraded/i.test(state))
  if (!failing) return undefined
  if (Array.isArray(data.reasons) && data.reasons.length > 0) return data.reasons.map(str).join(' ')
  const reason = [mail.lastError, mail.error, mail.message, mail.reason, data.message].find(
    (v) => typeof v === 'string' || isRecord(v),
  )
  if (isRecord(reason)) return str(reason.message ?? reason.code)
  return typeof reason === 'string' ? reason : ''
}

/** A banner across every page while mail delivery is failing. */
export function HealthBanner(): ReactNode {
  const [failure, setFailure] = useState<string>()
  useEffect(() => {
    let stopped = false
    const poll = async (): Promise<void> => {
      const res = await api<unknown>('GET', '/api/v1/health')
      if (!stopped) setFailure(res.ok ? mailFailure(res.data) : undefined)
    }
    void poll()
    const timer = window.setInterval(() => void poll(), POLL_MS)
    return () => {
      stopped = true
      window.clearInterval(timer)
    }
  }, [])
  if (failure === undefined) return null
  return (
    <div className="health-banner" role="alert" data-testid="health-banner">
      <strong>Mail delivery is failing.</strong> {failure !== '' ? `${failure} ` : ''}
      Alerts are queued and retried. <a href={ROUTES.deliveries}>Open the delivery log</a> or{' '}
      <a href={ROUTES.email}>check the e-mail settings</a>.
    </div>
  )
}
