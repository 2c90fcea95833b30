import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FailureLimiter } from './failure-limiter.js'
import { HttpProblem, problemFromError, sendProblem } from './problem.js'

/**
 * Bearer-token authentication for every /api route (DESIGN.md §3). Two roles: `admin` (the
 * bootstrap token) may do everything; `events` (producer tokens made through /api/v1/tokens)
 * may only post events and Alertmanager webhooks. Tokens are never stored or compared in clear:
 * we hash what the client presents (SHA-256) and compare hashes in constant time.
 */

export const ROLES = ['admin', 'events'] as const
export type Role = (typeof ROLES)[number]

export interface Principal {
  readonly role: Role
  /** Token id ('admin' for the bootstrap token); audit entries name it as the actor. */
  readonly id: string
  readonly name: string
}

/** A token as the store knows it: looked up by the hash of the secret, never by the secret. */
export interface KnownToken {
  readonly id: string
  readonly name: string
  readonly role: Role
}

export interface AuthenticatorOptions {
  readonly adminToken: string
  /** Live (not revoked) token with this SHA-256 hex hash; the store's `findTokenByHash`. */
  readonly findToken: (hash: string) => Promise<KnownToken | undefined>
  readonly limiter: FailureLimiter
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y)
}

const principals = new WeakMap<FastifyRequest, Principal>()

/** The authenticated caller of a request that passed `requireRole`. */
export function principalOf(request: FastifyRequest): Principal {
  const p = principals.get(request)
  if (!p) throw new HttpProblem(401, 'ERR_AUTH_REQUIRED', 'Authentication is required.')
  return p
}

export class Authenticator {
  readonly #adminHash: string
  readonly #findToken: (hash: string) => Promise<KnownToken | undefined>
  readonly #limiter: FailureLimiter

  constructor(opts: AuthenticatorOptions) {
    this.#adminHash = hashToken(opts.adminToken)
    this.#findToken = opts.findToken
    this.#limiter = opts.limiter
  }

  /**
   * The bootstrap token is compared hash-to-hash in constant time; producer tokens are found by
   * their hash (an index lookup on a SHA-256 digest reveals nothing useful about the secret).
   */
  async identify(token: string): Promise<Principal | undefined> {
    const hash = hashToken(token)
    if (sameHash(hash, this.#adminHash)) return { role: 'admin', id: 'admin', name: 'admin' }
    const found = await this.#findToken(hash)
    return found ? { role: found.role, id: found.id, name: found.name } : undefined
  }

  /**
   * An onRequest hook admitting the given roles. Order matters: a blocked address gets 429
   * before its token is even looked at, so a correct guess during the block teaches nothing.
   */
  requireRole(roles: readonly Role[]) {
    const limiter = this.#limiter
    const identify = (token: string) => this.identify(token)
    return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const ip = request.ip
      const waitMs = limiter.blockedForMs(ip)
      if (waitMs > 0) {
        reply.header('retry-after', String(Math.ceil(waitMs / 1000)))
        sendProblem(reply, problemFromError(new HttpProblem(429, 'ERR_AUTH_RATE_LIMITED', 'Too many failed authentication attempts; try again later.')))
        return reply
      }
      const header = request.headers.authorization
      const match = typeof header === 'string' ? /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(header) : null
      if (!match?.[1]) {
        reply.header('www-authenticate', 'Bearer realm="alertmail"')
        sendProblem(reply, problemFromError(new HttpProblem(401, 'ERR_AUTH_REQUIRED', 'Send "Authorization: Bearer <token>".')))
        return reply
      }
      const principal = await identify(match[1])
      if (!principal) {
        limiter.recordFailure(ip)
        reply.header('www-authenticate', 'Bearer realm="alertmail", error="invalid_token"')
        sendProblem(reply, problemFromError(new HttpProblem(401, 'ERR_AUTH_INVALID', 'The bearer token is not valid.')))
        return reply
      }
      if (!roles.includes(principal.role)) {
        sendProblem(reply, problemFromError(new HttpProblem(403, 'ERR_AUTH_FORBIDDEN', 'This token may only post events.')))
        return reply
      }
      principals.set(request, principal)
    }
  }
}
