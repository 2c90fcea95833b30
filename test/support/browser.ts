/**
 * Browser tests' support: Debian's Chromium driven by playwright-core (never a browser download),
 * a real `alertmail serve` child process, and a collector of console errors that tests fail on.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { BrowserContext, Locator, Page } from 'playwright-core'

/** Installed by .ci/run (apt-get install chromium). */
export const CHROMIUM_PATH = '/usr/bin/chromium'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const RESULTS_DIR = join(REPO_ROOT, 'test-results')

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export const VIEWPORTS = {
  laptop: { width: 1366, height: 900 },
  phone: { width: 390, height: 844 },
} as const

export interface BrowserSession {
  readonly context: BrowserContext
  /** Console errors and uncaught page errors of every page opened through `newPage`. */
  readonly errors: string[]
  /**
   * Removes (and returns) the collected errors matching `pattern`: for the one the test caused on
   * purpose, e.g. Chromium's "Failed to load resource: … status of 400" after a refused save.
   */
  takeErrors(pattern: RegExp): string[]
  newPage(viewport?: { width: number; height: number }): Promise<Page>
  close(): Promise<void>
}

/**
 * Chromium with a fresh profile in a temp dir. Playwright refuses `--user-data-dir` in `args`,
 * so the profile goes through launchPersistentContext, which passes exactly that flag.
 */
export async function launchBrowser(): Promise<BrowserSession> {
  const profile = await mkdtemp(join(tmpdir(), 'alertmail-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORTS.laptop,
    timeout: 60_000,
  })
  const errors: string[] = []
  const watch = (page: Page): void => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console.error on ${page.url()}: ${msg.text()}`)
    })
    page.on('pageerror', (err) => errors.push(`uncaught on ${page.url()}: ${err.message}`))
  }
  context.on('page', watch)
  for (const page of context.pages()) watch(page)
  return {
    context,
    errors,
    takeErrors(pattern) {
      const taken = errors.filter((e) => pattern.test(e))
      const kept = errors.filter((e) => !pattern.test(e))
      errors.splice(0, errors.length, ...kept)
      return taken
    },
    async newPage(viewport) {
      const page = await context.newPage()
      if (viewport !== undefined) await page.setViewportSize(viewport)
      page.setDefaultTimeout(20_000)
      return page
    },
    async close() {
      await context.close().catch(() => undefined)
      await rm(profile, { recursive: true, force: true })
    },
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })
}

export interface ServeHandle {
  readonly url: string
  readonly token: string
  readonly dataDir: string
  /** stdout + stderr so far, for failure messages. */
  output(): string
  /** `fetch` against the server with the admin token. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>
  stop(): Promise<void>
}

/** `node dist/src/cli/main.js serve` (the built CLI, as `npm start` runs it) on a free port and a temp data dir. */
export async function startServe(
  opts: { readonly env?: Readonly<Record<string, string>>; readonly entry?: string } = {},
): Promise<ServeHandle> {
  const entry = opts.entry ?? join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js')
  const dataDir = await mkdtemp(join(tmpdir(), 'alertmail-browser-data-'))
  const token = `browser-test-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`
  let child: ChildProcess | undefined
  let log = ''
  // A port found free can be taken before the child binds it; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    log = ''
    const proc = spawn(process.execPath, [entry, 'serve'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ALERTMAIL_PORT: String(port),
        ALERTMAIL_HOST: '127.0.0.1',
        ALERTMAIL_DATA_DIR: dataDir,
        ALERTMAIL_ADMIN_TOKEN: token,
        ALERTMAIL_LOG_LEVEL: 'warn',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    proc.stdout?.on('data', (b: Buffer) => (log += b.toString()))
    proc.stderr?.on('data', (b: Buffer) => (log += b.toString()))
    const url = `http://127.0.0.1:${port}`
    if (await waitReady(url, proc)) {
      child = proc
      const handle: ServeHandle = {
        url,
        token,
        dataDir,
        output: () => log,
        async api(method, path, body) {
          const res = await fetch(`${url}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          })
          const text = await res.text()
          return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) }
        },
        async stop() {
          if (child !== undefined && child.exitCode === null) {
            const exited = new Promise((r) => child?.once('exit', r))
            child.kill('SIGTERM')
            const timer = setTimeout(() => child?.kill('SIGKILL'), 15_000)
            await exited
            clearTimeout(timer)
          }
          await rm(dataDir, { recursive: true, force: true })
        },
      }
      return handle
    }
    proc.kill('SIGKILL')
  }
  await rm(dataDir, { recursive: true, force: true })
  throw new Error(`alertmail serve did not become ready:\n${log}`)
}

async function waitReady(url: string, proc: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) return false
    try {
      const res = await fetch(`${url}/readyz`)
      if (res.ok) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return false
}

/** Screenshots go to test-results/ (gitignored), named for the page and the width. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** A screenshot of one element (a card), for the README. */
export async function screenshotOf(locator: Locator, name: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${name}.png`)
  await locator.screenshot({ path })
  return path
}
