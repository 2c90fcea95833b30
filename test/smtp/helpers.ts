import { afterAll } from 'vitest'
import type { SmtpOptions } from '../../src/smtp/index.js'
import { startFakeSmtp, type FakeScript, type FakeSmtp } from '../support/fake-smtp.js'

/** The seed's defaults against a loopback server, with test-friendly timeouts. */
export function options(port: number, over: Partial<SmtpOptions> = {}): SmtpOptions {
  return {
    host: '127.0.0.1',
    port,
    encryption: 'NONE',
    startTls: false,
    connectionTimeoutMs: 10_000,
    socketTimeoutMs: 10_000,
    ehlo: true,
    heloName: 'client.test',
    tlsMinVersion: 'TLSv1.2',
    tlsVerify: true,
    allowInsecureAuth: false,
    eightBitMime: false,
    dsnRet: 'NONE',
    dsnNotify: [],
    userSet: false,
    quitWait: true,
    ...over,
  }
}

export const MESSAGE = 'From: a@example.com\r\nTo: b@example.com\r\nSubject: test\r\n\r\nhello\r\n'
export const ENVELOPE = { from: 'a@example.com', to: ['b@example.com'] } as const

/** Awaits a promise expected to reject and returns the error. */
export async function failure(p: Promise<unknown>): Promise<{ code: string; retry: string; command?: string; reply?: { code: number }; message: string }> {
  try {
    await p
  } catch (e) {
    return e as never
  }
  throw new Error('expected a rejection')
}

/** A starter for scripted servers that are all closed after the test file (call at the top level). */
export function useFakeSmtp(): (script?: FakeScript) => Promise<FakeSmtp> {
  const servers: FakeSmtp[] = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()))
  })
  return async (script = {}) => {
    const s = await startFakeSmtp(script)
    servers.push(s)
    return s
  }
}
