import type { ErrorObject } from 'ajv'
import { EmailSettings } from './schema.js'
import { NO_LINE_BREAKS } from './schema-helpers.js'
import { isSecretField } from './secret-fields.js'

/**
 * One problem with one setting. `field` is the dotted JSON path ('port', 'retry.maxAttempts');
 * `message` starts with that path and says what is allowed, so it reads well on its own
 * ("port: must be an integer from 1 to 65535 (got 70000)") in a CLI line, a log or a form.
 */
export interface FieldIssue {
  readonly field: string
  readonly message: string
}

export function fieldIssue(field: string, text: string): FieldIssue {
  return { field, message: `${field === '' ? 'settings' : field}: ${text}` }
}

interface JsonSchemaLike {
  readonly type?: string
  readonly enum?: readonly unknown[]
  readonly minimum?: number
  readonly maximum?: number
  readonly maxLength?: number
  readonly maxItems?: number
  readonly pattern?: string
  readonly properties?: Record<string, JsonSchemaLike>
  readonly items?: JsonSchemaLike
  readonly 'x-unit'?: string
}

const UNIT_WORDS: Record<string, string> = {
  ms: 'milliseconds',
  bytes: 'bytes',
  fraction: 'a fraction: 0.2 = 20 %',
}

/** The schema of a dotted field path, or undefined for an unknown one. */
export function schemaOf(field: string): JsonSchemaLike | undefined {
  let node: JsonSchemaLike | undefined = EmailSettings as JsonSchemaLike
  if (field === '') return node
  for (const part of field.split('.')) {
    if (node === undefined) return undefined
    node = node.type === 'array' ? node.items : node.properties?.[part]
  }
  return node
}

/** "What is allowed" for a field, from its schema alone. */
export function describeAllowed(schema: JsonSchemaLike): string {
  const unit = schema['x-unit'] === undefined ? '' : UNIT_WORDS[schema['x-unit']]
  const suffix = unit === undefined || unit === '' ? '' : ` (${unit})`
  if (schema.enum !== undefined) return `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`
  switch (schema.type) {
    case 'integer':
      return `must be an integer from ${String(schema.minimum)} to ${String(schema.maximum)}${suffix}`
    case 'number':
      return `must be a number from ${String(schema.minimum)} to ${String(schema.maximum)}${suffix}`
    case 'boolean':
      return 'must be true or false'
    case 'string':
      return `must be text of at most ${String(schema.maxLength)} characters` +
        (schema.pattern === NO_LINE_BREAKS ? ', on one line' : '')
    case 'array': {
      const allowed = schema.items?.enum?.join(', ') ?? 'values'
      return `must be a list of distinct values from ${allowed}`
    }
    case 'object':
      return `must be an object with the fields ${Object.keys(schema.properties ?? {}).join(', ')}`
    default:
      return 'has a value that is not allowed'
  }
}

/** Ajv's '/retry/maxAttempts' or '/dsnNotify/1' → 'retry.maxAttempts' / 'dsnNotify'. */
function fieldOf(instancePath: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  const kept: string[] = []
  for (const part of parts) {
    if (schemaOf(kept.join('.'))?.type === 'array') break
    kept.push(part)
  }
  return kept.join('.')
}

function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`
}

/** Closest known name within two edits, for "did you mean" on an unknown key. */
function suggest(unknown: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const name of known) {
    const d = editDistance(unknown.toLowerCase(), name.toLowerCase())
    if (d <= 2 && (best === undefined || d < best.distance)) best = { name, distance: d }
  }
  return best?.name
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

function shown(field: string, value: unknown): string {
  if (isSecretField(field) || value === undefined) return ''
  const json = JSON.stringify(value)
  return ` (got ${json.length > 40 ? `${json.slice(0, 37)}...` : json})`
}

function valueAt(root: unknown, field: string): unknown {
  let node: unknown = root
  for (const part of field === '' ? [] : field.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}

/** Turns Ajv's errors into one FieldIssue per field, naming the field and what it accepts. */
export function issuesFromAjv(errors: readonly ErrorObject[], data: unknown): FieldIssue[] {
  const byField = new Map<string, FieldIssue>()
  for (const error of errors) {
    const parent = fieldOf(error.instancePath)
    let field = parent
    let message: string
    if (error.keyword === 'additionalProperties') {
      const key = String((error.params as { additionalProperty: unknown }).additionalProperty)
      field = join(parent, key)
      const hint = suggest(key, Object.keys(schemaOf(parent)?.properties ?? {}))
      message = `is not a known setting${hint === undefined ? '' : ` (did you mean "${join(parent, hint)}"?)`}`
    } else if (error.keyword === 'required') {
      field = join(parent, String((error.params as { missingProperty: unknown }).missingProperty))
      message = 'is required'
    } else {
      const schema = schemaOf(field)
      const value = valueAt(data, field)
      if (schema === undefined) message = 'has a value that is not allowed'
      else if (error.keyword === 'pattern' && schema.pattern === NO_LINE_BREAKS)
        message = 'must not contain line breaks (CR, LF) or NUL characters'
      else if (error.keyword === 'maxLength')
        message = `must be at most ${String(schema.maxLength)} characters long` +
          (typeof value === 'string' && !isSecretField(field) ? ` (got ${String(value.length)})` : '')
      else if (error.keyword === 'uniqueItems') message = `must not list the same value twice; ${describeAllowed(schema)}`
      else if (error.keyword === 'type' && field === '') message = 'must be a JSON object of settings'
      else message = describeAllowed(schema) + shown(field, value)
    }
    if (!byField.has(field)) byField.set(field, fieldIssue(field, message))
  }
  return [...byField.values()]
}
