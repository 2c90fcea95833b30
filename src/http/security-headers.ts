import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * Security headers on every response, API and UI alike. The CSP allows no inline script
 * (the UI and Swagger UI load only files from 'self'); inline styles stay allowed because
 * Swagger UI sets style attributes. `frame-ancestors 'none'` forbids framing (clickjacking).
 * No CORS headers are ever sent: the API is for the same-origin UI and server-side producers.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
}

export async function securityHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  for (const [name, value] of Object.entries(HEADERS)) reply.header(name, value)
  // API answers carry settings and delivery logs: never cache them in shared caches.
  if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store')
  return payload
}
