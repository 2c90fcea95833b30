/**
 * A real server program (aiosmtpd, Alertmanager, Dovecot…) run as our child for one test file:
 * its output is collected, stop() ends it (SIGTERM, then SIGKILL after 10 s), and a test process
 * that exits without stopping it still kills it, so no daemon outlives the run. Each harness keeps
 * its own readiness check (a port line, a log line, a socket); only the process handling is here.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

export interface Daemon {
  readonly child: ChildProcess
  /** Resolves when the process has exited (for any reason). */
  readonly exited: Promise<void>
  stdout(): string
  stderr(): string
  /** stdout and stderr interleaved in arrival order. */
  output(): string
  isRunning(): boolean
  /** SIGTERM, SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch { /* already gone */ }
  }
})

export function spawnDaemon(bin: string, args: readonly string[], opts: Pick<SpawnOptions, 'cwd' | 'env'> = {}): Daemon {
  const child = spawn(bin, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  let out = ''
  let err = ''
  let both = ''
  const collect = (append: (c: string) => void) => (chunk: string) => {
    append(chunk)
    both += chunk
  }
  child.stdout?.setEncoding('utf8').on('data', collect((c) => (out += c)))
  child.stderr?.setEncoding('utf8').on('data', collect((c) => (err += c)))
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child)
      resolve()
    }),
  )
  const isRunning = () => child.exitCode === null && child.signalCode === null
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    output: () => both,
    isRunning,
    async stop(graceMs = 10_000) {
      if (!isRunning()) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Waits until `ready()` returns a value (checked every `pollMs`),
 * failing when the daemon exits first or `timeoutMs` passes.
 */
export async function waitForDaemon<T>(daemon: Daemon, what: string, ready: () => T | undefined | Promise<T | undefined>, timeoutMs: number, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let exited = false
  void daemon.exited.then(() => (exited = true))
  for (;;) {
    const value = await ready()
    if (value !== undefined) return value
    if (exited) throw new Error(`exited (${daemon.child.exitCode ?? daemon.child.signalCode}) before ${what}`)
    if (Date.now() > deadline) throw new Error(`no ${what} within ${Math.round(timeoutMs / 1000)} s`)
    await Promise.race([new Promise((r) => setTimeout(r, pollMs)), daemon.exited])
  }
}
