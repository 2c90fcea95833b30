import { pathToFileURL } from 'node:url'
import { PROVIDER_PRESETS } from './presets.js'
import { RULES_DOC } from './rules.js'
import { EmailSettings } from './schema.js'
import { NO_LINE_BREAKS } from './schema-helpers.js'

interface FieldSchema {
  readonly type?: string
  readonly enum?: readonly unknown[]
  readonly title?: string
  readonly description?: string
  readonly default?: unknown
  readonly examples?: readonly unknown[]
  readonly minimum?: number
  readonly maximum?: number
  readonly maxLength?: number
  readonly pattern?: string
  readonly writeOnly?: boolean
  readonly items?: FieldSchema
  readonly properties?: Record<string, FieldSchema>
  readonly 'x-section'?: string
  readonly 'x-order'?: number
  readonly 'x-unit'?: string
}

const ENVIRONMENT: readonly [string, string, string][] = [
  ['ALERTMAIL_PORT', '8025', 'HTTP port of `alertmail serve`.'],
  ['ALERTMAIL_HOST', '127.0.0.1', 'Address `alertmail serve` listens on.'],
  ['ALERTMAIL_DATA_DIR', './data', 'Data directory (created 0700): SQLite database, key file, admin token.'],
  ['ALERTMAIL_DATABASE_URL', '(unset)', 'Unset: SQLite file in the data dir; `postgres://…`: PostgreSQL.'],
  ['ALERTMAIL_ADMIN_TOKEN', '(generated)', 'Bootstrap admin bearer token; generated on first start, stored 0600, printed once.'],
  ['ALERTMAIL_SECRET_KEY', '(key file)', 'Key that encrypts stored secrets; see "Secrets at rest" below.'],
]

/** Prose in a table cell: no pipes or line breaks, and `<tenant-id>` must not read as an HTML tag. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function code(value: unknown): string {
  return `\`${JSON.stringify(value)}\``
}

function typeOf(schema: FieldSchema): string {
  if (schema.enum !== undefined) return schema.enum.map((v) => code(v)).join(' \\| ')
  if (schema.type === 'array') return `list of ${schema.items?.enum?.map((v) => code(v)).join(', ') ?? 'values'}`
  return schema.type ?? 'any'
}

function allowed(schema: FieldSchema): string {
  const parts: string[] = []
  if (schema.minimum !== undefined && schema.maximum !== undefined)
    parts.push(`${String(schema.minimum)}–${String(schema.maximum)}`)
  if (schema.maxLength !== undefined) parts.push(`≤ ${String(schema.maxLength)} chars`)
  if (schema.type === 'array') parts.push('no repeats')
  if (schema.pattern === NO_LINE_BREAKS) parts.push('no CR/LF/NUL')
  if (schema['x-unit'] !== undefined) parts.push(`unit: ${schema['x-unit']}`)
  if (schema.writeOnly === true) parts.push('write-only secret')
  return parts.join('; ')
}

function defaultOf(schema: FieldSchema): string {
  if (schema.writeOnly === true) return '—'
  if (schema.type === 'object') return 'see below'
  return code(schema.default)
}

function ordered(properties: Record<string, FieldSchema>): [string, FieldSchema][] {
  return Object.entries(properties).sort(([, a], [, b]) => (a['x-order'] ?? 0) - (b['x-order'] ?? 0))
}

function fieldTable(properties: [string, FieldSchema][], prefix = ''): string[] {
  const lines = [
    '| JSON | UI label | Type | Default | Allowed | Description |',
    '|---|---|---|---|---|---|',
  ]
  for (const [name, schema] of properties) {
    const examples = schema.examples === undefined || schema.type === 'object'
      ? ''
      : ` Example: ${schema.examples.map((e) => code(e)).join(', ')}.`
    lines.push(`| \`${prefix}${name}\` | ${cell(schema.title ?? '')} | ${typeOf(schema)} | ${defaultOf(schema)} | ` +
      `${allowed(schema)} | ${cell(schema.description ?? '')}${examples.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')} |`)
  }
  return lines
}

/**
 * docs/config.md, generated from the settings schema (STYLE.md §2.6, reader 4). A test fails
 * when the committed file differs; regenerate with
 * `ALERTMAIL_WRITE_DOCS=1 npx vitest run test/settings/config-doc.test.ts`
 * or `npm run build && node dist/src/settings/config-doc.js > docs/config.md`.
 */
export function renderConfigDoc(): string {
  const properties = EmailSettings.properties as unknown as Record<string, FieldSchema>
  const all = ordered(properties)
  const seed = all.filter(([, s]) => s['x-section'] === 'seed')
  const advanced = all.filter(([, s]) => s['x-section'] === 'advanced')
  const nested = advanced.filter(([, s]) => s.type === 'object')
  const out: string[] = [
    '# Configuration',
    '',
    '<!-- Generated from src/settings/schema.ts by renderConfigDoc() (src/settings/config-doc.ts). Do not edit by hand. -->',
    '',
    'alertmail has two layers of configuration: **environment variables** for the process, and the',
    '**E-Mail settings** (System → E-Mail), stored in the database and edited through the web UI or',
    '`PUT /api/v1/settings/email`, or given as a JSON file to `alertmail send|check --settings FILE`.',
    'The settings are one JSON object; omitted fields take their defaults and unknown fields are refused.',
    'Every validation error names the field and says what is allowed, e.g.',
    '`port: must be an integer from 1 to 65535 (got 70000)`.',
    '',
    '## Environment',
    '',
    '| Variable | Default | Meaning |',
    '|---|---|---|',
    ...ENVIRONMENT.map(([name, def, meaning]) => `| \`${name}\` | ${def} | ${meaning} |`),
    '',
    '## E-Mail settings: the seed page',
    '',
    'The fields of the original E-Mail page, with its labels and defaults.',
    '',
    ...fieldTable(seed),
    '',
    '## E-Mail settings: advanced',
    '',
    ...fieldTable(advanced),
    '',
  ]
  for (const [name, schema] of nested) {
    out.push(`### \`${name}\`: ${schema.title ?? ''}`, '', cell(schema.description ?? ''), '')
    out.push(...fieldTable(ordered(schema.properties ?? {}), `${name}.`), '')
  }
  out.push(
    '## Rules between fields',
    '',
    'Errors (the settings are refused):',
    '',
    ...RULES_DOC.errors.map((r) => `- ${r}`),
    '',
    'Warnings (the settings are accepted; the UI shows the warning):',
    '',
    ...RULES_DOC.warnings.map((r) => `- ${r}`),
    '',
    '## Provider presets',
    '',
    'The E-Mail form offers these presets (`PROVIDER_PRESETS`); a preset fills in the fields listed and',
    'leaves the others alone. Limits are the providers\' published ones; check them for your plan.',
    '',
    '| Preset | Host | Port | Encryption | Auth method | Rate limit / min | Notes |',
    '|---|---|---|---|---|---|---|',
    ...PROVIDER_PRESETS.map((p) =>
      `| ${p.label} | \`${p.settings.host}\` | ${String(p.settings.port)} | ${p.settings.encryption} | ` +
      `${p.settings.authEnabled ? p.settings.authMethod : 'none'} | ${p.settings.rateLimitPerMinute === 0 ? 'unlimited' : String(p.settings.rateLimitPerMinute)} | ` +
      `${cell(p.note)} [Source](${p.docsUrl}) |`),
    '',
    '## Secrets at rest',
    '',
    '`password` and `oauth2.clientSecret` are write-only: no API response, log line or transcript contains them;',
    'responses carry `passwordSet` and `oauth2.clientSecretSet` instead. A PUT without them keeps the stored ones.',
    'They are stored encrypted with AES-256-GCM (a fresh 96-bit IV per value, the format version as',
    'associated data) in the format `v1:<iv>:<tag>:<ciphertext>` (base64 parts). The key is:',
    '',
    '- `ALERTMAIL_SECRET_KEY`, when set: 32 bytes written as base64 (44 characters) or hex (64 characters) are',
    '  used as the key; any other value of at least 12 characters is a passphrase, stretched with scrypt',
    '  (N=2^15, r=8, p=1, fixed application salt so every instance derives the same key) and then HKDF-SHA256.',
    '  Generate a key with `openssl rand -base64 32`. Every instance sharing a database needs the same key.',
    '- otherwise `<ALERTMAIL_DATA_DIR>/secret.key`: 32 random bytes (base64), created with mode 0600 on',
    '  first start (the data dir is created 0700 if absent). Back it up with the database.',
    '',
    'A changed or lost key makes the stored secrets unreadable: alertmail reports',
    '`ERR_CONFIG_SECRET_UNSEAL` ("altered, or sealed with a different key") and the secret must be entered again.',
    '',
  )
  return out.join('\n')
}

// Run as a script: print the document (npm run build && node dist/src/settings/config-doc.js > docs/config.md).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(renderConfigDoc())
}
