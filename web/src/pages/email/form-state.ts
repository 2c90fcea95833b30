/**
 * The E-Mail form's state and how it becomes a request: only schema fields are sent, numbers as
 * numbers, and a write-only secret only when something was typed (DESIGN.md §3: PUT without
 * `password` keeps the stored one).
 */
import { isRecord, str } from '../../api.js'
import type { FieldDef, JsonSchema } from '../../schema.js'
import { checkValue, getPath, setPath } from '../../schema.js'

export interface LoadedSettings {
  readonly values: Record<string, unknown>
  readonly version: unknown
  readonly secretsSet: Readonly<Record<string, boolean>>
}

/** Splits a settings response into form values, the version and which secrets are stored. */
export function fromResponse(data: unknown): LoadedSettings {
  const body = isRecord(data) ? data : {}
  const settings = isRecord(body.settings) ? body.settings : body
  const values: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'version' || key === 'passwordSet' || key === 'warnings') continue
    if (isRecord(value) && !Array.isArray(value)) {
      const { clientSecretSet: _omit, ...rest } = value
      values[key] = rest
    } else values[key] = value
  }
  const oauth2 = isRecord(settings.oauth2) ? settings.oauth2 : {}
  return {
    values,
    version: body.version ?? settings.version,
    secretsSet: {
      password: settings.passwordSet === true || body.passwordSet === true,
      'oauth2.clientSecret': oauth2.clientSecretSet === true,
    },
  }
}

export function clientErrors(
  fields: readonly FieldDef[],
  drafts: Readonly<Record<string, string>>,
  values: Record<string, unknown>,
): Record<string, string[]> {
  const errors: Record<string, string[]> = {}
  for (const field of fields) {
    if (field.kind !== 'integer' && field.kind !== 'number') continue
    const raw = drafts[field.path] ?? str(getPath(values, field.path))
    const message = checkValue(field, raw)
    if (message !== undefined) errors[field.path] = [message]
  }
  return errors
}

/** The settings object for PUT and for Send Test Mail. */
export function payloadOf(
  fields: readonly FieldDef[],
  values: Record<string, unknown>,
  secrets: Readonly<Record<string, string>>,
): Record<string, unknown> {
  let out: Record<string, unknown> = {}
  for (const field of fields) {
    if (field.kind === 'secret') {
      const typed = secrets[field.path]
      if (typed !== undefined && typed !== '') out = setPath(out, field.path, typed)
      continue
    }
    const value = getPath(values, field.path)
    if (value === undefined) continue
    out = setPath(out, field.path, value)
  }
  return out
}

export interface FieldChange {
  readonly path: string
  readonly title: string
  readonly mine: unknown
  readonly theirs: unknown
}

/** What the other administrator changed, field by field, for the 409 panel. */
export function diffValues(
  fields: readonly FieldDef[],
  mine: Record<string, unknown>,
  theirs: Record<string, unknown>,
): FieldChange[] {
  const out: FieldChange[] = []
  for (const field of fields) {
    if (field.kind === 'secret') continue
    const a = getPath(mine, field.path)
    const b = getPath(theirs, field.path)
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push({ path: field.path, title: field.title, mine: a, theirs: b })
  }
  return out
}

export interface Preset {
  readonly name: string
  readonly description: string
  readonly values: Record<string, unknown>
}

const FALLBACK_PRESETS: readonly Preset[] = [
  {
    name: 'Gmail / Google Workspace',
    description: 'smtp.gmail.com, STARTTLS on 587; use an App Password.',
    values: {
      host: 'smtp.gmail.com',
      port: 587,
      encryption: 'TLS',
      startTls: true,
      authEnabled: true,
      authMethod: 'AUTO',
    },
  },
  {
    name: 'Microsoft 365',
    description: 'smtp.office365.com, STARTTLS on 587; XOAUTH2 recommended.',
    values: { host: 'smtp.office365.com', port: 587, encryption: 'TLS', startTls: true, authEnabled: true },
  },
  {
    name: 'Amazon SES (eu-west-1)',
    description: 'email-smtp.eu-west-1.amazonaws.com, STARTTLS on 587.',
    values: {
      host: 'email-smtp.eu-west-1.amazonaws.com',
      port: 587,
      encryption: 'TLS',
      startTls: true,
      authEnabled: true,
    },
  },
  {
    name: 'Local relay (Postfix)',
    description: 'localhost:25, no authentication, opportunistic STARTTLS.',
    values: { host: 'localhost', port: 25, encryption: 'NONE', startTls: true, authEnabled: false },
  },
]

/** Provider presets served with the schema (`{ schema, presets }`), or a small built-in list. */
export function presetsOf(served: unknown, schema: JsonSchema): readonly Preset[] {
  const declared = isRecord(served) && served.presets !== undefined ? served.presets : schema['x-presets']
  const list = Array.isArray(declared)
    ? declared
    : isRecord(declared)
      ? Object.entries(declared).map(([name, v]) => ({ name, ...(isRecord(v) ? v : {}) }))
      : []
  const presets: Preset[] = []
  for (const item of list as unknown[]) {
    if (!isRecord(item)) continue
    const name = [item.label, item.title, item.name, item.id].find((v) => typeof v === 'string')
    const values = isRecord(item.values) ? item.values : isRecord(item.settings) ? item.settings : undefined
    if (typeof name === 'string' && values !== undefined) {
      presets.push({
        name,
        description:
          typeof item.note === 'string'
            ? item.note
            : typeof item.description === 'string'
              ? item.description
              : '',
        values,
      })
    }
  }
  return presets.length > 0 ? presets : FALLBACK_PRESETS
}
