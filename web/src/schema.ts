/**
 * Reads the served settings schema (JSON Schema written with TypeBox in src/settings/schema.ts):
 * titles, descriptions, defaults, `x-section`, `x-order`, `x-unit`, `writeOnly` secrets. The UI never
 * imports src/: this file only knows the JSON it is given.
 */
export interface JsonSchema {
  readonly type?: string | readonly string[]
  readonly title?: string
  readonly description?: string
  readonly default?: unknown
  readonly enum?: readonly unknown[]
  readonly const?: unknown
  readonly anyOf?: readonly JsonSchema[]
  readonly oneOf?: readonly JsonSchema[]
  readonly items?: JsonSchema
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: readonly string[]
  readonly minimum?: number
  readonly maximum?: number
  readonly minLength?: number
  readonly maxLength?: number
  readonly writeOnly?: boolean
  readonly readOnly?: boolean
  readonly format?: string
  readonly examples?: readonly unknown[]
  readonly [key: `x-${string}`]: unknown
}

export type FieldKind = 'boolean' | 'integer' | 'number' | 'select' | 'multi' | 'secret' | 'text' | 'textarea'

export interface FieldDef {
  /** 'port', 'retry.maxAttempts' */
  readonly path: string
  readonly schema: JsonSchema
  readonly title: string
  readonly description: string
  readonly section: string
  readonly order: number
  readonly unit: string | undefined
  readonly kind: FieldKind
  readonly options: readonly string[]
  /** Title of the enclosing object for nested fields ('Retry policy'), for grouping. */
  readonly group: string | undefined
}

/** The seed page's order (seed/email-settings.md), used when the schema carries no `x-order`. */
export const SEED_ORDER = [
  'enabled',
  'host',
  'port',
  'connectionTimeoutMs',
  'socketTimeoutMs',
  'authEnabled',
  'username',
  'password',
  'technicalSupport',
  'encryption',
  'dsnRet',
  'dsnNotify',
  'ehlo',
  'startTls',
  'eightBitMime',
  'partialEmail',
  'userSet',
  'quitWait',
] as const

/** Fields the API adds to responses; they are never form inputs. */
const RESPONSE_ONLY = new Set(['version', 'passwordSet', 'clientSecretSet', 'updatedAt', 'updatedBy'])

const LONG_TEXT = /(^|\.)(tlsCa|text|html)$/

export function enumOf(schema: JsonSchema): string[] {
  if (schema.enum !== undefined) return schema.enum.map(String)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives === undefined) return []
  const values: string[] = []
  for (const alt of alternatives) {
    if (alt.const !== undefined)
      values.push(typeof alt.const === 'string' ? alt.const : JSON.stringify(alt.const))
    else if (alt.enum !== undefined) values.push(...alt.enum.map(String))
    else return []
  }
  return values
}

function typeOf(schema: JsonSchema): string | undefined {
  if (typeof schema.type === 'string') return schema.type
  if (Array.isArray(schema.type)) return (schema.type as readonly string[]).find((t) => t !== 'null')
  const first = (schema.anyOf ?? schema.oneOf)?.[0]
  return first !== undefined ? typeOf(first) : undefined
}

function kindOf(path: string, schema: JsonSchema): FieldKind {
  if (schema.writeOnly === true) return 'secret'
  const type = typeOf(schema)
  if (type === 'array') return 'multi'
  if (enumOf(schema).length > 0) return 'select'
  if (type === 'boolean') return 'boolean'
  if (type === 'integer') return 'integer'
  if (type === 'number') return 'number'
  if (schema['x-widget'] === 'textarea' || schema['x-multiline'] === true || LONG_TEXT.test(path))
    return 'textarea'
  return 'text'
}

function orderOf(path: string, schema: JsonSchema, index: number): number {
  const declared = schema['x-order']
  if (typeof declared === 'number') return declared
  const seed = (SEED_ORDER as readonly string[]).indexOf(path)
  return seed >= 0 ? seed : 1000 + index
}

function sectionOf(path: string, schema: JsonSchema, parent: string | undefined): string {
  const declared = schema['x-section']
  if (typeof declared === 'string' && declared !== '') return declared
  if (parent !== undefined) return parent
  return (SEED_ORDER as readonly string[]).includes(path) ? 'E-Mail' : 'Advanced'
}

function humanise(key: string): string {
  const words = key.replace(/Ms$/, '').replace(/([a-z0-9])([A-Z])/g, '$1 $2')
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase()
}

/** Flattens the schema into the form's fields; nested objects (retry, oauth2, templates) become groups. */
export function fieldsOf(root: JsonSchema): FieldDef[] {
  const out: FieldDef[] = []
  const walk = (
    schema: JsonSchema,
    prefix: string,
    parentSection: string | undefined,
    parentOrder: number,
    group: string | undefined,
  ): void => {
    const entries = Object.entries(schema.properties ?? {})
    entries.forEach(([key, child], index) => {
      const path = prefix === '' ? key : `${prefix}.${key}`
      if (RESPONSE_ONLY.has(key) || child.readOnly === true) return
      const section = sectionOf(path, child, parentSection)
      const order =
        prefix === '' ? orderOf(path, child, index) : parentOrder + (orderOf(key, child, index) % 1000) / 1000
      if (typeOf(child) === 'object' && child.properties !== undefined) {
        walk(child, path, section, order, child.title ?? humanise(key))
        return
      }
      const unitDeclared = child['x-unit']
      out.push({
        path,
        schema: child,
        title: child.title ?? humanise(key),
        description: child.description ?? '',
        section,
        order,
        unit: typeof unitDeclared === 'string' ? unitDeclared : /Ms$/.test(key) ? 'ms' : undefined,
        kind: kindOf(path, child),
        options:
          kindOf(path, child) === 'multi' && child.items !== undefined ? enumOf(child.items) : enumOf(child),
        group,
      })
    })
  }
  walk(root, '', undefined, 0, undefined)
  return out.sort((a, b) => a.order - b.order)
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

/** Immutable set: returns a new object with `path` replaced. */
export function setPath<T extends Record<string, unknown>>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.')
  if (head === undefined) return obj
  if (rest.length === 0) return { ...obj, [head]: value }
  const child = obj[head]
  const base =
    typeof child === 'object' && child !== null && !Array.isArray(child)
      ? (child as Record<string, unknown>)
      : {}
  return { ...obj, [head]: setPath(base, rest.join('.'), value) }
}

/** Removes `path`; empties parents are kept so the shape stays the schema's. */
export function deletePath<T extends Record<string, unknown>>(obj: T, path: string): T {
  const [head, ...rest] = path.split('.')
  if (head === undefined || !(head in obj)) return obj
  if (rest.length === 0) {
    const copy: Record<string, unknown> = { ...obj }
    delete copy[head]
    return copy as T
  }
  const child = obj[head]
  if (typeof child !== 'object' || child === null) return obj
  return { ...obj, [head]: deletePath(child as Record<string, unknown>, rest.join('.')) }
}

export function defaultsOf(root: JsonSchema): Record<string, unknown> {
  let out: Record<string, unknown> = {}
  for (const field of fieldsOf(root)) {
    if (field.schema.default !== undefined) out = setPath(out, field.path, field.schema.default)
  }
  return out
}

/** A quick check before the request so obvious mistakes show at once; the server stays the judge. */
export function checkValue(field: FieldDef, raw: string): string | undefined {
  if (field.kind !== 'integer' && field.kind !== 'number') return undefined
  const s = field.schema
  const range =
    s.minimum !== undefined && s.maximum !== undefined
      ? ` between ${s.minimum} and ${s.maximum}`
      : s.minimum !== undefined
        ? ` of at least ${s.minimum}`
        : s.maximum !== undefined
          ? ` of at most ${s.maximum}`
          : ''
  const expected = `Enter a ${field.kind === 'integer' ? 'whole number' : 'number'}${range}.`
  if (raw.trim() === '') return expected
  const n = Number(raw)
  if (!Number.isFinite(n) || (field.kind === 'integer' && !Number.isInteger(n))) return expected
  if ((s.minimum !== undefined && n < s.minimum) || (s.maximum !== undefined && n > s.maximum))
    return expected
  return undefined
}

export function displayValue(value: unknown): string {
  if (value === undefined || value === null) return '—'
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  if (Array.isArray(value))
    return value.length === 0
      ? '(none)'
      : value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')
  if (typeof value === 'object') return JSON.stringify(value)
  if (typeof value === 'string') return value === '' ? '(empty)' : value
  return JSON.stringify(value)
}
