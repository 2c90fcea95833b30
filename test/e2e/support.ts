/**
 * Runs the built CLI (`node dist/src/cli/main.js serve`) as a child process with its own data dir,
 * and reads its listening address from the log.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'

export const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js')

export interface ServeProcess {
  readonly child: ChildProcess
  readonly base: string
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>
}

export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`)
}

export async function startServe(env: Record<string, string>, timeoutMs = 60_000): Promise<ServeProcess> {
  assertBuilt()
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', ALERTMAIL_HOST: '127.0.0.1', ALERTMAIL_PORT: '0', ALERTMAIL_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${out}\n${err}`)), timeoutMs)
    const check = () => {
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"alertmail listening"/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout.on('data', check)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited (${code}) before listening:\n${out}\n${err}`))
    })
  })
  return { child, base, stdout: () => out, stderr: () => err, exited }
}

/** Graceful stop for afterAll: SIGTERM, SIGKILL if it is still running after `graceMs`. */
export async function stopServe(serve: ServeProcess | undefined, graceMs = 15_000): Promise<void> {
  if (serve === undefined || serve.child.exitCode !== null || serve.child.signalCode !== null) return
  serve.child.kill('SIGTERM')
  const killer = setTimeout(() => serve.child.kill('SIGKILL'), graceMs)
  await serve.exited
  clearTimeout(killer)
}

export interface Api {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON under test
  (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>
}

export function api(base: string, token: string): Api {
  return async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, json: text ? JSON.parse(text) : undefined }
  }
}

/** The Message-ID header of a raw message. */
export function messageIdOf(raw: string): string {
  return /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? ''
}

/** Subject (RFC 2047 decoded) and Message-ID of a raw message, through mailparser. */
export async function parseMail(raw: string): Promise<{ subject: string; messageId: string; text: string }> {
  const mail = await simpleParser(raw)
  return { subject: mail.subject ?? '', messageId: mail.messageId ?? '', text: mail.text ?? '' }
}

/**
 * The titles `pattern` finds in the subjects of the mails a relay received, parsing each mail
 * once: `update()` reads what arrived since its last call (cheap enough for a waitFor condition).
 */
export function titleTracker(relay: { readonly messages: readonly { readonly raw: string }[] }, pattern: RegExp): { readonly seen: Set<string>; readonly update: () => Promise<Set<string>> } {
  const seen = new Set<string>()
  let parsedUpTo = 0
  return {
    seen,
    update: async () => {
      const fresh = relay.messages.slice(parsedUpTo)
      parsedUpTo += fresh.length
      for (const m of await Promise.all(fresh.map((x) => parseMail(x.raw)))) {
        const title = pattern.exec(m.subject)?.[0]
        if (title !== undefined) seen.add(title)
      }
      return seen
    },
  }
}

/** Every mail a relay received, by the title `pattern` finds in its subject: title → Message-IDs. */
export async function messageIdsByTitle(relay: { readonly messages: readonly { readonly raw: string }[] }, pattern: RegExp): Promise<{ parsed: { subject: string; messageId: string }[]; byTitle: Map<string, string[]>; untitled: string[] }> {
  const parsed = await Promise.all(relay.messages.map((m) => parseMail(m.raw)))
  const byTitle = new Map<string, string[]>()
  const untitled: string[] = []
  for (const m of parsed) {
    const title = pattern.exec(m.subject)?.[0]
    if (title === undefined) untitled.push(m.subject)
    else byTitle.set(title, [...(byTitle.get(title) ?? []), m.messageId])
  }
  return { parsed, byTitle, untitled }
}

/**
 * Batch `batch` (1,000 events) of a run of distinct critical alerts: `${prefix}-0000`, … each with its
 * own source and dedupKey, so each becomes a notification of its own.
 */
export function distinctCriticalBatch(prefix: string, batch: number): { severity: string; title: string; source: string; dedupKey: string }[] {
  return Array.from({ length: 1000 }, (_, i) => {
    const n = String(batch * 1000 + i).padStart(4, '0')
    return { severity: 'critical', title: `${prefix}-${n}`, source: `edge-${n}`, dedupKey: `${prefix}-${n}` }
  })
}
