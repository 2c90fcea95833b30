#!/usr/bin/env node
/**
 * `alertmail serve | send | check | migrate` (DESIGN.md §3). Exit status 0 on success, non-zero
 * with a one-line reason on stderr otherwise: 1 = the command failed, 2 = bad usage or input.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const USAGE = `alertmail — alert and notification e-mail service

Usage:
  alertmail serve                         HTTP API + UI + delivery workers (env: ALERTMAIL_*)
  alertmail migrate                       create or upgrade the database, then exit
  alertmail send --settings FILE --to B [--to C …] [--from A] --subject S
                 (--text T | --html H | --text T --html H | --eml FILE) [--repeat N] [--json]
  alertmail check --settings FILE [--json]
  alertmail --help | <command> --help

FILE is the E-Mail settings JSON in the API's shape (GET /api/v1/settings/email); it may carry
"password", or set ALERTMAIL_SMTP_PASSWORD. Passwords never appear in the output.
`

type CommandModule = { run?: (argv: string[]) => Promise<number | undefined | void> | number | undefined | void }

/** The service's commands are another owner's; resolved at run time so a build without them still works. */
const SERVE_MODULE = './commands/serve.js'
const MIGRATE_MODULE = './commands/migrate.js'

/** Dynamic imports keep `send`/`check` free of the service's dependencies (and vice versa). */
const COMMANDS: Readonly<Record<string, () => Promise<unknown>>> = {
  serve: () => import(SERVE_MODULE),
  migrate: () => import(MIGRATE_MODULE),
  send: () => import('./commands/send.js'),
  check: () => import('./commands/check.js'),
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) {
    process.stderr.write(USAGE)
    return 2
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (load === undefined) {
    process.stderr.write(`alertmail: unknown command "${name}" (try: alertmail --help)\n`)
    return 2
  }
  let mod: CommandModule
  try {
    mod = (await load()) as CommandModule
  } catch (e) {
    if (isModuleNotFound(e)) {
      process.stderr.write(`alertmail: the "${name}" command is not available in this build\n`)
      return 1
    }
    throw e
  }
  if (typeof mod.run !== 'function') {
    process.stderr.write(`alertmail: the "${name}" command is not available in this build\n`)
    return 1
  }
  const code = await mod.run(rest)
  return typeof code === 'number' ? code : 0
}

function isModuleNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND'
}

function isEntryPoint(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code },
    (e: unknown) => {
      process.stderr.write(`alertmail: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exitCode = 1
    },
  )
}
