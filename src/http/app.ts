import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Store } from '../outbox/index.js'
import { Authenticator } from './auth.js'
import type { BacklogGauge } from './backlog.js'
import { FailureLimiter } from './failure-limiter.js'
import { MailHealth } from './mail-health.js'
import { Metrics } from './metrics.js'
import { HttpProblem, isQuietRefusal, problemErrorHandler, problemFromError, sendProblem } from './problem.js'
import { alertmanagerRoutes } from './routes/alertmanager.js'
import { eventRoutes, type IntakeOptions } from './routes/events.js'
import { auditRoutes } from './routes/audit.js'
import { deliveryRoutes } from './routes/deliveries.js'
import { healthRoutes } from './routes/health.js'
import { mailHealthRoutes } from './routes/mail-health.js'
import { metricsRoutes } from './routes/metrics.js'
import { notificationRoutes, type NotificationRoutesOptions } from './routes/notifications.js'
import { settingsRoutes, type SettingsRoutesOptions } from './routes/settings.js'
import { testMailRoutes } from './routes/test-mail.js'
import { tokenRoutes } from './routes/tokens.js'
import { userRoutes } from './routes/users.js'
import { securityHeaders } from './security-headers.js'

/** Everything the HTTP layer needs, passed in by the composition root (src/app.ts). */
export interface AppDeps {
  readonly store: Store
  /** Seals and unseals the stored password (settings' SecretBox). */
  readonly secrets: SettingsRoutesOptions['secrets']
  /** Event intake (notify's Notifier or anything with the same `ingest`). */
  readonly intake: IntakeOptions['intake']
  /** Grouping policy and template preview (notify). */
  readonly notifications: Omit<NotificationRoutesOptions, 'store' | 'now'>
  readonly adminToken: string
  /** A pino logger; omitted: no logging. */
  readonly logger?: FastifyBaseLogger
  readonly metrics?: Metrics
  readonly mailHealth?: MailHealth
  /** Intake's backlog limit; GET /api/v1/health reports it. Omitted: no limit (the intake decides). */
  readonly backlog?: BacklogGauge
  /** Built admin UI (web/dist); served at / when the folder exists. */
  readonly webRoot?: string
  readonly now?: () => Date
  /** Failed-auth limiter; tests inject a small one. */
  readonly authLimiter?: FailureLimiter
  /** Tells the delivery worker there is new due work. */
  readonly wake?: () => void
  /** Minutes of failing mail before /api/v1/health reports degraded. Default 5. */
  readonly degradedAfterMs?: number
  /** Upper bound on one Send Test Mail session. Default 120 s. */
  readonly testMailTimeoutMs?: number
}

/**
 * One log line per request. Accepted event posts are the hot path of a storm (thousands a second):
 * they are logged at debug; /metrics counts them. So are intake refusals while a backlog is full:
 * the backlog gauge logs the episode once, /metrics counts each.
 */
function logResponse(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const status = reply.statusCode
  const quiet = (status === 202 && request.method === 'POST') || isQuietRefusal(reply)
  const level = quiet ? 'debug' : status >= 500 ? 'error' : 'info'
  // pino's level methods are no-ops below the configured level.
  request.log[level]({ method: request.method, url: request.url, statusCode: status, responseTime: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed')
  done()
}

/** Request bodies larger than this are refused with 413 (events and settings raise it per route). */
export const DEFAULT_BODY_LIMIT = 256 * 1024

/**
 * The HTTP API, OpenAPI docs and the static admin UI, with dependencies passed as plugin options
 * (STYLE.md §2.8: no decorate, no autoload).
 *
 * @example
 * const app = await buildApp({ store, secrets, intake: notifier, notifications, adminToken })
 * await app.listen({ host: '127.0.0.1', port: 8025 })
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date())
  const metrics = deps.metrics ?? new Metrics({ defaultMetrics: false })
  const mailHealth = deps.mailHealth ?? new MailHealth({ now })
  const { store } = deps

  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Closing: refuse new requests with 503 while in-flight ones finish (graceful shutdown).
    return503OnClosing: true,
    // Fastify's two lines per request (incoming + completed) cost more than the intake itself on
    // one-event requests: one line per request instead, from the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    ajv: {
      // Strict input: no silent type coercion, no dropped unknown keys (they are errors), all errors at once.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: true },
    },
  }) as unknown as FastifyInstance

  const auth = new Authenticator({
    adminToken: deps.adminToken,
    findToken: async (hash) => {
      const t = await store.findTokenByHash(hash)
      return t && !t.revokedAt ? { id: t.id, name: t.name, role: t.role } : undefined
    },
    limiter: deps.authLimiter ?? new FailureLimiter(),
  })

  app.setErrorHandler(problemErrorHandler)
  if (deps.logger) app.addHook('onResponse', logResponse)
  app.addHook('onSend', securityHeaders)

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'alertmail', version: '1', description: 'Alert and notification e-mail service: settings, users, events, delivery log.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: false })

  await app.register(healthRoutes, { store })
  await app.register(metricsRoutes, { store, metrics, now })

  await app.register(
    async function api(api) {
      await api.register(async function producerApi(p) {
        p.addHook('onRequest', auth.requireRole(['admin', 'events']))
        // No worker wake here: an event makes no delivery by itself; the notifier wakes the worker
        // when a pass commits deliveries (a wake per request cost CPU on the hot path).
        const intake = { intake: deps.intake, metrics, now }
        await p.register(eventRoutes, intake)
        await p.register(alertmanagerRoutes, intake)
      })
      await api.register(async function adminApi(a) {
        a.addHook('onRequest', auth.requireRole(['admin']))
        await a.register(settingsRoutes, { store, secrets: deps.secrets, now })
        await a.register(testMailRoutes, {
          store,
          secrets: deps.secrets,
          mailHealth,
          timeoutMs: deps.testMailTimeoutMs ?? 120_000,
        })
        await a.register(auditRoutes, { store })
        await a.register(userRoutes, { store, now })
        await a.register(deliveryRoutes, { store, now, wake: deps.wake })
        await a.register(tokenRoutes, { store, now })
        await a.register(notificationRoutes, { ...deps.notifications, store, now })
        await a.register(mailHealthRoutes, { store, mailHealth, now, degradedAfterMs: deps.degradedAfterMs ?? 5 * 60_000, backlog: deps.backlog })
      })
    },
    { prefix: '/api/v1' },
  )

  const webRoot = deps.webRoot
  const hasUi = webRoot !== undefined && existsSync(join(webRoot, 'index.html'))
  if (hasUi) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: ['index.html'] })
  }
  app.setNotFoundHandler(function notFound(request: FastifyRequest, reply: FastifyReply) {
    const path = request.url.split('?')[0] ?? ''
    // SPA fallback: client-side routes (/settings/email, /deliveries/…) load the UI's index.html.
    if (hasUi && request.method === 'GET' && !path.startsWith('/api/') && !path.includes('.')) {
      return reply.type('text/html; charset=utf-8').sendFile('index.html')
    }
    return sendProblem(reply, problemFromError(new HttpProblem(404, 'ERR_NOT_FOUND', `No route for ${request.method} ${path}.`)))
  })

  return app
}
