/**
 * The one place the UI talks HTTP. Every /api call carries the admin bearer token; errors arrive as
 * RFC 9457 application/problem+json and are turned into values, never thrown, so pages can show
 * them in place.
 */
import { clearToken, getToken } from './session.js'

export interface FieldIssue {
  readonly field: string
  readonly message: string
}

export interface Problem {
  readonly status: number
  readonly title: string
  readonly detail?: string
  readonly code?: string
  readonly errors: readonly FieldIssue[]
  readonly warnings: readonly FieldIssue[]
  /** The whole problem body, for fields such as `current` on a 409. */
  readonly body: Record<string, unknown>
}

export type ApiResult<T> =
  | { readonly ok: true; readonly status: number; readonly data: T }
  | { readonly ok: false; readonly status: number; readonly problem: Problem }

type Listener = () => void
const unauthorizedListeners = new Set<Listener>()

/** Called when the server refuses the token (401): the app returns to the login page. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener)
  return () => unauthorizedListeners.delete(listener)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Field paths arrive as 'retry.maxAttempts' or JSON pointers ('/retry/maxAttempts'); keep one form. */
export function normaliseField(field: string): string {
  return field.replace(/^\/+/, '').replace(/\//g, '.')
}

export function issuesOf(value: unknown): FieldIssue[] {
  if (!Array.isArray(value)) return []
  const out: FieldIssue[] = []
  for (const item of value) {
    if (!isRecord(item)) continue
    const field = typeof item.field === 'string' ? item.field : typeof item.path === 'string' ? item.path : ''
    const message = typeof item.message === 'string' ? item.message : ''
    if (message !== '') out.push({ field: normaliseField(field), message })
  }
  return out
}

function toProblem(status: number, body: unknown, statusText: string): Problem {
  const b = isRecord(body) ? body : {}
  const title = typeof b.title === 'string' ? b.title : statusText || `HTTP ${status}`
  return {
    status,
    title,
    ...(typeof b.detail === 'string'
      ? { detail: b.detail }
      : typeof b.message === 'string'
        ? { detail: b.message }
        : {}),
    ...(typeof b.code === 'string' ? { code: b.code } : {}),
    errors: issuesOf(b.errors),
    warnings: issuesOf(b.warnings),
    body: b,
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' }
  const token = getToken()
  if (token !== null) headers.authorization = `Bearer ${token}`
  const init: RequestInit = { method, headers, cache: 'no-store' }
  if (body !== undefined) {
    headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let res: Response
  try {
    res = await fetch(path, init)
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause)
    return {
      ok: false,
      status: 0,
      problem: toProblem(0, { title: 'The server cannot be reached', detail }, ''),
    }
  }
  const text = await res.text()
  let parsed: unknown = undefined
  if (text !== '') {
    try {
      parsed = JSON.parse(text) as unknown
    } catch {
      parsed = { title: text.slice(0, 200) }
    }
  }
  if (res.ok) return { ok: true, status: res.status, data: parsed as T }
  if (res.status === 401 && token !== null) {
    clearToken()
    for (const listener of unauthorizedListeners) listener()
  }
  return { ok: false, status: res.status, problem: toProblem(res.status, parsed, res.statusText) }
}

/** Lists come back either bare or wrapped ({ items }, { users }, …); accept both. */
export function listOf<T>(data: unknown, ...keys: string[]): T[] {
  if (Array.isArray(data)) return data as T[]
  if (isRecord(data)) {
    for (const key of [...keys, 'items', 'data', 'results', 'entries']) {
      const value = data[key]
      if (Array.isArray(value)) return value as T[]
    }
  }
  return []
}

export function problemText(problem: Problem): string {
  return problem.detail !== undefined && problem.detail !== problem.title
    ? `${problem.title}: ${problem.detail}`
    : problem.title
}

export { isRecord }

/** Any JSON value as display text (objects as JSON, never "[object Object]"). */
export function str(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  return JSON.stringify(v)
}
