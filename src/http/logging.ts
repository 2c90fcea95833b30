import diagnostics from 'node:diagnostics_channel'
import { pino, type DestinationStream, type Logger } from 'pino'

/**
 * pino with secrets removed before serialisation: authorization headers, passwords, client
 * secrets and tokens, wherever they sit in a logged object.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = [
    'req.headers.authorization',
    'req.headers.cookie',
    'headers.authorization',
    'authorization',
    'password',
    'token',
    'clientSecret',
    '*.password',
    '*.token',
    '*.clientSecret',
    '*.*.password',
    '*.*.clientSecret',
    'settings.oauth2.clientSecret',
  ]
  const options = { level, redact: { paths, censor: '[redacted]' } }
  return destination ? pino(options, destination) : pino(options)
}

/** Logs the SMTP client's diagnostics_channel messages (already redacted at the source). */
export function logSmtpDiagnostics(logger: Logger): () => void {
  const log = logger.child({ component: 'smtp' })
  const handlers: [string, (message: unknown) => void][] = [
    ['smtp:connect', (m) => log.debug(m as object, 'connect')],
    ['smtp:command', (m) => log.trace(m as object, 'command')],
    ['smtp:reply', (m) => log.trace(m as object, 'reply')],
    ['smtp:error', (m) => {
      const { session, error } = m as { session: number; error: Error & { code?: string } }
      log.warn({ session, code: error.code, err: { message: error.message, code: error.code } }, 'smtp error')
    }],
  ]
  for (const [name, fn] of handlers) diagnostics.subscribe(name, fn)
  return () => {
    for (const [name, fn] of handlers) diagnostics.unsubscribe(name, fn)
  }
}

