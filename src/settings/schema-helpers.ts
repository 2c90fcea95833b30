import { Type, type TUnsafe } from '@sinclair/typebox'

/**
 * Custom annotation keywords carried by the settings schema. They are metadata only (the UI and
 * the docs read them); any Ajv that compiles the schema must know them, e.g. Fastify:
 * `ajv: { customOptions: { keywords: [...SETTINGS_SCHEMA_KEYWORDS] } }`.
 */
export const SETTINGS_SCHEMA_KEYWORDS = ['x-section', 'x-order', 'x-unit', 'x-secret'] as const

export const SECTIONS = ['seed', 'advanced'] as const
export type Section = (typeof SECTIONS)[number]

export const UNITS = ['ms', 'bytes', 'messages', 'recipients', 'connections', 'attempts', 'per minute', 'fraction'] as const
export type Unit = (typeof UNITS)[number]

/**
 * Refuses CR, LF and NUL: a value that reaches an SMTP command or a header line must not be able
 * to end that line and start another (RFC 5321 §2.3.8, RFC 5322 §2.2: header injection).
 */
export const NO_LINE_BREAKS = '^[^\\r\\n\\u0000]*$'

export interface FieldMeta {
  readonly section: Section
  readonly order: number
  /** The UI label: the seed's wording for seed fields. */
  readonly title: string
  readonly description: string
  readonly examples?: readonly unknown[]
  readonly unit?: Unit
}

/** Converts our field metadata into JSON Schema annotation keywords. */
export function annotate(meta: FieldMeta): Record<string, unknown> {
  return {
    title: meta.title,
    description: meta.description,
    ...(meta.examples === undefined ? {} : { examples: [...meta.examples] }),
    ...(meta.unit === undefined ? {} : { 'x-unit': meta.unit }),
    'x-section': meta.section,
    'x-order': meta.order,
  }
}

/**
 * A string enumeration as `{ type: 'string', enum: [...] }` rather than TypeBox's `anyOf` of
 * literals: validation errors stay one line and the UI can draw a select from `enum`.
 */
export function stringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown>,
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] })
}

/** A boolean switch with its default. */
export function flag(defaultValue: boolean, meta: FieldMeta) {
  return Type.Boolean({ default: defaultValue, ...annotate(meta) })
}

/** A bounded integer with its default. */
export function integer(defaultValue: number, minimum: number, maximum: number, meta: FieldMeta) {
  return Type.Integer({ default: defaultValue, minimum, maximum, ...annotate(meta) })
}

/** A string with a length bound; `headerSafe` adds the CR/LF/NUL refusal. */
export function text(
  defaultValue: string,
  maxLength: number,
  meta: FieldMeta,
  options: { readonly headerSafe?: boolean; readonly writeOnly?: boolean } = {},
) {
  return Type.String({
    ...(options.writeOnly === true ? { writeOnly: true, 'x-secret': true } : { default: defaultValue }),
    maxLength,
    ...(options.headerSafe === true ? { pattern: NO_LINE_BREAKS } : {}),
    ...annotate(meta),
  })
}
