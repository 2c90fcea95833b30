import net from 'node:net'
import tls from 'node:tls'
import { SmtpError } from './errors.js'
import type { SmtpOptions } from './options.js'
import type { TlsInfo } from './types.js'

export function tlsOptions(opts: SmtpOptions): tls.ConnectionOptions {
  // RFC 6066 §3: SNI carries host names only, never address literals.
  const servername = opts.tlsServername ?? (net.isIP(opts.host) === 0 ? opts.host : undefined)
  return {
    host: opts.host,
    ...(servername === undefined ? {} : { servername }),
    minVersion: opts.tlsMinVersion,
    rejectUnauthorized: opts.tlsVerify,
    // `ca` replaces Node's bundle; an extra CA must add to it, not hide the public roots.
    ...(opts.tlsCa === undefined || opts.tlsCa === '' ? {} : { ca: [...tls.rootCertificates, opts.tlsCa] }),
  }
}

export function connectSocket(opts: SmtpOptions, implicit: boolean, signal?: AbortSignal): Promise<net.Socket> {
  if (signal?.aborted === true) return Promise.reject(new SmtpError('ERR_SMTP_ABORTED', 'operation aborted', { cause: signal.reason }))
  const socket = implicit
    ? tls.connect({ ...tlsOptions(opts), port: opts.port })
    : net.connect({ host: opts.host, port: opts.port })
  socket.setNoDelay(true) // pipelined batches are already whole; Nagle would only add latency
  const onAbort = () => socket.destroy(new SmtpError('ERR_SMTP_ABORTED', 'operation aborted', { cause: signal?.reason }))
  signal?.addEventListener('abort', onAbort, { once: true })
  return handshake(socket, opts.connectionTimeoutMs, implicit).finally(() => signal?.removeEventListener('abort', onAbort))
}

/** Waits for 'connect' (or 'secureConnect'), mapping failures to CONNECT, TLS, TIMEOUT, ABORTED. */
export function handshake<S extends net.Socket>(socket: S, timeoutMs: number, secure: boolean): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    let tcpUp = !secure || (socket as net.Socket & { connecting?: boolean }).connecting === false
    const onTcp = () => {
      tcpUp = true
    }
    const timer = timeoutMs > 0 ? setTimeout(() => socket.destroy(new SmtpError('ERR_SMTP_TIMEOUT', `${secure && tcpUp ? 'TLS handshake' : 'connect'} timed out after ${timeoutMs} ms`)), timeoutMs) : undefined
    const done = () => {
      if (timer !== undefined) clearTimeout(timer)
      socket.off('connect', onTcp)
      socket.off(secure ? 'secureConnect' : 'connect', onReady)
      socket.off('error', onError)
      socket.off('close', onClose)
    }
    const onReady = () => {
      done()
      resolve(socket)
    }
    const onError = (err: Error) => {
      done()
      socket.destroy()
      if (err instanceof SmtpError) reject(err)
      else if (secure && tcpUp) reject(new SmtpError('ERR_SMTP_TLS', `TLS failed: ${err.message}`, { cause: err }))
      else reject(new SmtpError('ERR_SMTP_CONNECT', `connect failed: ${err.message}`, { cause: err }))
    }
    const onClose = () => onError(new Error('connection closed'))
    if (secure) socket.once('connect', onTcp)
    socket.once(secure ? 'secureConnect' : 'connect', onReady)
    socket.once('error', onError)
    socket.once('close', onClose)
  })
}

export function tlsInfo(s: tls.TLSSocket): TlsInfo {
  // After destroy() a socket has no cipher any more (getCipher() returns null despite its type).
  const cipher = s.getCipher() as ReturnType<typeof s.getCipher> | null
  return { protocol: s.getProtocol() ?? 'unknown', cipher: cipher?.name ?? 'unknown', authorized: s.authorized }
}

export function describeTls(s: tls.TLSSocket): string {
  const i = tlsInfo(s)
  return `TLS established: ${i.protocol} ${i.cipher}${i.authorized ? '' : ` (certificate not verified: ${String(s.authorizationError)})`}`
}
