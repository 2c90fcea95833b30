/**
 * `alertmail serve` (dist/src/cli/main.js) as a child process with its own temp data dir, a fixed
 * admin token and, optionally, a PostgreSQL URL (DESIGN.md §3 environment). Memory is read from
 * /proc/<pid>/status of that node process itself.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KeepAliveClient } from './http-load.js'

export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const addr = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (addr === null || typeof addr === 'string') throw new Error('no port')
  return addr.port
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))
  return m === null ? Number.NaN : Number(m[1])
}

export class ServeProcess {
  readonly #child: ChildProcess
  readonly #dataDir: string
  readonly #stderr: string[] = []
  readonly http: KeepAliveClient
  readonly pid: number

  private constructor(child: ChildProcess, dataDir: string, http: KeepAliveClient) {
    this.#child = child
    this.#dataDir = dataDir
    this.http = http
    this.pid = child.pid ?? 0
    child.stderr?.on('data', (d: Buffer) => {
      this.#stderr.push(d.toString())
      if (this.#stderr.length > 50) this.#stderr.shift()
    })
  }

  /** `execArgv`: extra node flags, e.g. --cpu-prof (written when serve exits on SIGTERM). */
  static async start(opts: { databaseUrl?: string; execArgv?: readonly string[] } = {}): Promise<ServeProcess> {
    const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
    const dataDir = mkdtempSync(join(os.tmpdir(), 'alertmail-bench-'))
    const port = await freePort()
    const token = randomBytes(24).toString('hex')
    const child = spawn(process.execPath, [...(opts.execArgv ?? []), main, 'serve'], {
      env: {
        ...process.env,
        ALERTMAIL_PORT: String(port),
        ALERTMAIL_HOST: '127.0.0.1',
        ALERTMAIL_DATA_DIR: dataDir,
        ALERTMAIL_ADMIN_TOKEN: token,
        ALERTMAIL_SECRET_KEY: randomBytes(32).toString('hex'),
        ...(opts.databaseUrl === undefined ? {} : { ALERTMAIL_DATABASE_URL: opts.databaseUrl }),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const serve = new ServeProcess(child, dataDir, new KeepAliveClient(`http://127.0.0.1:${String(port)}`, token))
    const deadline = Date.now() + 60_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`alertmail serve exited with ${String(child.exitCode)}: ${serve.stderrTail()}`)
      try {
        const r = await serve.http.request('GET', '/readyz')
        if (r.status === 200) return serve
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await serve.stop()
        throw new Error(`alertmail serve not ready within 60 s: ${serve.stderrTail()}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  stderrTail(): string {
    return this.#stderr.join('').slice(-800).trim()
  }

  rssMb(): number {
    return Math.round(statusKb(this.pid, 'VmRSS') / 102.4) / 10
  }

  /**
   * CPU time (user + system) the serve process has used, from /proc/PID/stat fields 14–15 in
   * clock ticks (USER_HZ, 100 on Linux). Unlike wall-clock rates it hardly depends on what else
   * the machine runs, so it is the figure to compare on a busy machine.
   */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${String(this.pid)}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  }

  peakRssMb(): number {
    return Math.round(statusKb(this.pid, 'VmHWM') / 102.4) / 10
  }

  /** JSON API call; throws with the problem body unless the status is 2xx. */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.http.request(method, path, body === undefined ? undefined : JSON.stringify(body))
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path}: ${String(r.status)} ${r.text.slice(0, 500)}`)
    return (r.text === '' ? undefined : JSON.parse(r.text)) as T
  }

  async stop(): Promise<void> {
    this.http.close()
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()))
      this.#child.kill('SIGTERM')
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(this.#dataDir, { recursive: true, force: true })
  }
}
