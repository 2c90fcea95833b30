import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { QueueFullError } from './backlog.js'

/**
 * RFC 9457 problem details: the one place where module errors become HTTP answers
 * (STYLE.md §2.5). Every error body is `application/problem+json` with `type`, `title`,
 * `status`, `detail`, our stable `code`, and for validation failures `errors: [{ field, message }]`.
 */

export interface FieldError {
  readonly field: string
  readonly message: string
}

export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly code: string
  readonly errors?: readonly FieldError[]
  /** Extra members (RFC 9457 §3.2), e.g. `current` on a version conflict. */
  readonly [extension: string]: unknown
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
}

/** Seconds a client should wait before retrying when the database is away (RFC 9110 §10.2.3). */
export const STORE_RETRY_AFTER_SECONDS = 5

/** A problem thrown by a route handler; `problemFromError` passes it through unchanged. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem'
  readonly status: number
  readonly code: string
  readonly errors: readonly FieldError[] | undefined
  readonly extensions: Readonly<Record<string, unknown>>

  constructor(
    status: number,
    code: string,
    detail: string,
    opts: { errors?: readonly FieldError[]; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail)
    this.status = status
    this.code = code
    this.errors = opts.errors
    this.extensions = opts.extensions ?? {}
  }
}

/** 400 with the offending fields named (the settings and event validators' `FieldIssue`s fit as they are). */
export function validationProblem(errors: readonly FieldError[], detail?: string): HttpProblem {
  const first = errors[0]
  // Settings messages already begin with their field ("port: must be …"); don't name it twice.
  const named = (e: FieldError) => (e.field !== '' && e.message.startsWith(`${e.field}: `) ? e.message : `${e.field || '(body)'}: ${e.message}`)
  const summary = detail ?? (first ? named(first) : 'The request is not valid.')
  return new HttpProblem(400, 'ERR_VALIDATION', summary, { errors })
}

export function notFound(what: string): HttpProblem {
  return new HttpProblem(404, 'ERR_NOT_FOUND', `${what} does not exist.`)
}

/** Builds the problem document for any thrown value. Unknown errors never leak their message. */
export function problemFromError(err: unknown): Problem {
  if (err instanceof HttpProblem) {
    return build(err.status, err.code, err.message, err.errors, err.extensions)
  }
  const e = err as Partial<FastifyError> & { code?: unknown; validation?: unknown }
  if (Array.isArray(e.validation)) {
    const errors = fastifyValidationErrors(e as FastifyError)
    return build(400, 'ERR_VALIDATION', e.message ?? 'The request is not valid.', errors)
  }
  if (err instanceof QueueFullError) {
    // 503, not 429: the server is overloaded, not this client (RFC 9110 §15.6.4), and Prometheus
    // Alertmanager's webhook notifier retries a 5xx but drops the batch on any 4xx (its
    // notify.Retrier: 5xx retried, no RetryCodes for webhooks), so a 429 would lose those alerts.
    // test/interop/alertmanager-backpressure.test.ts shows Alertmanager 0.25 retrying our 503.
    const r = err.refusal
    return build(503, err.code, err.message, undefined, { retryAfter: r.retryAfterSeconds, backlog: r.backlog, count: r.count, limit: r.limit, env: r.env })
  }
  const store = storeFault(err)
  if (store !== undefined) return store
  const code = typeof e.code === 'string' ? e.code : ''
  const byCode = STATUS_BY_CODE[code]
  if (byCode !== undefined) return build(byCode, code, safeMessage(e.message, byCode))
  // Module errors follow Node's style (STYLE.md §2.3). Invalid input carries its issues by field;
  // other ERR_CONFIG_* (secret key, sealed secrets) are the server's problem and stay 500.
  const issues = (err as { issues?: unknown }).issues
  if (code === 'ERR_CONFIG_INVALID' && Array.isArray(issues)) {
    return build(400, 'ERR_VALIDATION', safeMessage(e.message, 400), issues as FieldError[])
  }
  if (code.startsWith('ERR_SMTP_')) return build(502, code, safeMessage(e.message, 502))
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return build(e.statusCode, code || 'ERR_HTTP', safeMessage(e.message, e.statusCode))
  }
  return build(500, 'ERR_INTERNAL', 'An unexpected error occurred; the server log has the details.')
}

/**
 * The database being away (connection refused or cut, the server shutting down, not accepting
 * connections) or out of space is not the client's fault and not a bug: 503 (RFC 9110 §15.6.4), or
 * 507 (RFC 4918 §11.5) for a full disk, both with Retry-After, so a sender retries instead of
 * dropping the event. Drivers wrap errors, so the `cause` chain is searched too.
 */
function storeFault(err: unknown): Problem | undefined {
  const seen = new Set<unknown>()
  for (let e = err; typeof e === 'object' && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e)
    const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : ''
    const message = typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : ''
    if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100' /* pg disk_full */) {
      return build(507, 'ERR_STORE_FULL', 'The database is out of space; the request was not stored. Retry later.', undefined, { retryAfter: STORE_RETRY_AFTER_SECONDS })
    }
    if (isUnavailable(code, message)) {
      return build(503, 'ERR_STORE_UNAVAILABLE', 'The database is not reachable; the request was not stored. Retry later.', undefined, { retryAfter: STORE_RETRY_AFTER_SECONDS })
    }
  }
  return undefined
}

/** Network errors, PostgreSQL SQLSTATE classes 08 (connection) and 57P (operator intervention), SQLite I/O. */
function isUnavailable(code: string, message: string): boolean {
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code)) return true
  if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300' /* too_many_connections */) return true
  // 55000 is generic; only its "database … is not currently accepting connections" form means away.
  if (code === '55000' && /not currently accepting connections/.test(message)) return true
  // SQLite rolls a transaction back by itself on SQLITE_FULL, _IOERR, _BUSY and _NOMEM
  // (sqlite.org/lang_transaction.html, "Response To Errors Within A Transaction"); the driver's own
  // ROLLBACK then fails with this and hides the first error. The transaction did not commit.
  if (code === 'SQLITE_ERROR' && message === 'cannot rollback - no transaction is active') return true
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') return true
  // pg raises these without a code when a pooled connection dies or cannot be made in time.
  return code === '' && /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)$/.test(message)
}

/** Fastify's own errors that are the client's fault, by their stable codes. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
  FST_ERR_INVALID_JSON_BODY: 400,
  FST_ERR_NOT_FOUND: 404,
  ERR_STORE_CONFLICT: 409,
  ERR_STORE_NOT_FOUND: 404,
  ERR_STORE_DUPLICATE: 409,
}

function safeMessage(message: string | undefined, status: number): string {
  if (status >= 500 && status !== 502) return 'An unexpected error occurred; the server log has the details.'
  return message ?? TITLES[status] ?? 'Error'
}

/** Ajv errors from Fastify's route schemas → `{ field, message }` with dotted field paths. */
function fastifyValidationErrors(err: FastifyError): FieldError[] {
  const list = (err.validation ?? []) as readonly {
    instancePath?: string
    keyword?: string
    params?: Record<string, unknown>
    message?: string
  }[]
  const context = err.validationContext
  return list.map((v) => {
    const base = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
    const extra = v.params?.['additionalProperty'] ?? v.params?.['missingProperty']
    const field = [base, typeof extra === 'string' ? extra : ''].filter(Boolean).join('.')
    const message =
      v.keyword === 'additionalProperties' ? 'is not a known field' : (v.message ?? 'is not valid')
    return { field: field || (context === 'body' ? '' : (context ?? '')), message }
  })
}

function build(
  status: number,
  code: string,
  detail: string,
  errors?: readonly FieldError[],
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  return {
    ...extensions,
    type: `urn:alertmail:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  }
}

/** Sends a problem document; usable from hooks as well as from the error handler. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (typeof problem['retryAfter'] === 'number') void reply.header('retry-after', String(problem['retryAfter']))
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem)
}

/**
 * Answers that are expected under load and logged once per episode elsewhere (the backlog gauge's
 * "intake refusing" warning): a storm of them must not write a log line each.
 */
const QUIET_CODES: ReadonlySet<string> = new Set(['ERR_QUEUE_FULL'])
const quietReplies = new WeakSet<FastifyReply>()

/** True when the reply is a refusal that the per-request log should keep at debug level. */
export function isQuietRefusal(reply: FastifyReply): boolean {
  return quietReplies.has(reply)
}

/** Fastify error handler: 5xx are logged with the error, 4xx (and refusals under load) at debug level only. */
export function problemErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = problemFromError(err)
  if (QUIET_CODES.has(problem.code)) {
    quietReplies.add(reply)
    request.log.debug({ code: problem.code }, 'request refused')
  } else if (problem.status >= 500) request.log.error({ err }, 'request failed')
  else request.log.debug({ code: problem.code }, 'request refused')
  return sendProblem(reply, problem)
}
