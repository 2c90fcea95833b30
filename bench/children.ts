/**
 * Parent side of the bench's child processes: `Helper` drives helper-process.js (a sink or a
 * delay relay) over IPC; `runChild` runs one measurement in a fresh process and returns its result.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import type { HelperRequest, SinkKind } from './helper-process.js'
import type { SinkStats, TraceEntry } from './sinks/fast-sink.js'

interface Pending {
  resolve(v: unknown): void
  reject(e: Error): void
}

export class Helper {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  port = 0

  private constructor() {
    this.#child = fork(new URL('./helper-process.js', import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    this.#child.on('message', (msg: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.#pending.get(msg.id)
      if (p === undefined) return
      this.#pending.delete(msg.id)
      if (msg.ok) p.resolve(msg.result)
      else p.reject(new Error(msg.error ?? 'helper failed'))
    })
    this.#child.on('exit', () => {
      for (const p of this.#pending.values()) p.reject(new Error('helper exited'))
      this.#pending.clear()
    })
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  static async sink(kind: SinkKind, opts: { port?: number; trace?: boolean } = {}): Promise<Helper> {
    const h = new Helper()
    const { port } = (await h.call({ op: 'sink', kind, ...opts })) as { port: number }
    h.port = port
    return h
  }

  static async proxy(upstreamPort: number, delayMs: number): Promise<Helper> {
    const h = new Helper()
    const { port } = (await h.call({ op: 'proxy', upstreamPort, delayMs })) as { port: number }
    h.port = port
    return h
  }

  call(req: HelperRequest): Promise<unknown> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#child.send({ id, req })
    })
  }

  async stats(): Promise<SinkStats> {
    const s = (await this.call({ op: 'stats' })) as SinkStats & { minBodyBytes: number | null }
    // JSON turns the empty minimum (Infinity) into null.
    return { ...s, minBodyBytes: s.minBodyBytes ?? 0 }
  }

  async traces(): Promise<TraceEntry[]> {
    return (await this.call({ op: 'traces' })) as TraceEntry[]
  }

  async reset(): Promise<void> {
    await this.call({ op: 'reset' })
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()))
    this.call({ op: 'close' }).catch(() => undefined)
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

/**
 * Runs `script` (relative to this folder) in a fresh Node process with `job` as its one argument
 * and resolves with the first IPC message it sends. `execArgv` adds flags such as --cpu-prof; after
 * `timeoutMs` the process is killed and the case reported as failed.
 */
export async function runChild<T>(script: string, job: unknown, execArgv: readonly string[] = [], timeoutMs = 180_000): Promise<T> {
  const child = fork(new URL(script, import.meta.url), [JSON.stringify(job)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...execArgv],
  })
  let result: { ok: boolean; result?: T; error?: string } | undefined
  child.on('message', (msg: { ok: boolean; result?: T; error?: string }) => {
    result ??= msg
  })
  // A client that hangs (a lost reply, a deadlocked pool) must not stall the whole bench.
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearTimeout(timer)
  if (timedOut) throw new Error(`${script} did not finish within ${String(timeoutMs / 1000)} s (killed): the client hung`)
  if (result === undefined) throw new Error(`${script} exited with ${String(code)} and no result`)
  if (!result.ok) throw new Error(result.error ?? `${script} failed`)
  return result.result as T
}
