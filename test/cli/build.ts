/**
 * Builds the CLI once for the test files that run it (`node dist/src/cli/main.js`). Several test
 * files may ask at the same time (vitest runs two workers), so a lock directory serialises the
 * builds, and a CLI newer than every source file (as after `npm test`'s own build) is reused.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
export const ROOT = resolve(import.meta.dirname, '..', '..')
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js')
const LOCK = join(ROOT, 'dist', '.cli-build.lock')

export async function buildCli(): Promise<string> {
  await mkdir(join(ROOT, 'dist'), { recursive: true })
  await acquire()
  try {
    if (existsSync(CLI) && (await stat(CLI)).mtimeMs > (await newestSource(join(ROOT, 'src')))) return CLI
    try {
      await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 300_000 })
    } catch (e) {
      // Type errors elsewhere in the tree still emit JavaScript; only a missing CLI is fatal.
      if (!existsSync(CLI)) throw e
    }
    return CLI
  } finally {
    await rm(LOCK, { recursive: true, force: true })
  }
}

async function acquire(): Promise<void> {
  const deadline = Date.now() + 300_000
  for (;;) {
    try {
      await mkdir(LOCK)
      return
    } catch {
      const age = Date.now() - (await stat(LOCK).then((s) => s.mtimeMs, () => Date.now()))
      if (age > 300_000) await rm(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, await newestSource(path))
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, (await stat(path)).mtimeMs)
  }
  return newest
}

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built CLI; never throws on a non-zero exit. */
export async function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string }
    if (typeof err.code !== 'number') throw e
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }
  }
}
