import { Type, type Static } from '@sinclair/typebox'
import { EmailSettings, OAuth2Settings } from './schema.js'
import { isSecretField, readSecrets, SECRET_FIELDS } from './secret-fields.js'

const { password: _password, oauth2: _oauth2, ...PUBLIC_FIELDS } = EmailSettings.properties
const { clientSecret: _clientSecret, ...PUBLIC_OAUTH2_FIELDS } = OAuth2Settings.properties

/**
 * What GET /api/v1/settings/email answers: the settings without their secrets, plus whether each
 * secret is set and the version for optimistic concurrency (DESIGN.md §3).
 */
export const EmailSettingsResponse = Type.Object(
  {
    ...PUBLIC_FIELDS,
    oauth2: Type.Object(
      {
        ...PUBLIC_OAUTH2_FIELDS,
        clientSecretSet: Type.Boolean({ description: 'Whether a client secret is stored (it is never returned).' }),
      },
      { additionalProperties: false, title: 'OAuth2 Client' },
    ),
    passwordSet: Type.Boolean({ description: 'Whether a password is stored (it is never returned).' }),
    version: Type.Integer({ minimum: 0, description: 'Settings version: send it back on PUT; a stale one gets 409.' }),
  },
  { additionalProperties: false, title: 'E-Mail Settings (as returned)' },
)
export type EmailSettingsResponse = Static<typeof EmailSettingsResponse>

/**
 * Stored settings → API response. Whether a secret is set comes from `meta` when the store keeps
 * the sealed secrets apart, otherwise from the settings themselves. No secret value is copied.
 */
export function toSettingsResponse(
  settings: EmailSettings,
  meta: { readonly version: number; readonly passwordSet?: boolean; readonly clientSecretSet?: boolean },
): EmailSettingsResponse {
  const present = readSecrets(settings)
  const { password: _p, oauth2, ...rest } = settings
  const { clientSecret: _s, ...publicOAuth2 } = oauth2
  return {
    ...rest,
    oauth2: { ...publicOAuth2, clientSecretSet: meta.clientSecretSet ?? present.clientSecret !== undefined },
    passwordSet: meta.passwordSet ?? present.password !== undefined,
    version: meta.version,
  }
}

/** One changed field for the audit log. Secrets carry no values, only `secret: true`. */
export type SettingsChange =
  | { readonly field: string; readonly secret: true; readonly change: 'changed' }
  | { readonly field: string; readonly secret: false; readonly before: unknown; readonly after: unknown }

/** Every leaf field in schema (UI) order, secrets included, so diffs read in form order. */
const FIELD_ORDER: readonly string[] = (function schemaLeaves(props: Record<string, unknown>, prefix: string): string[] {
  return Object.entries(props).flatMap(([key, schema]) => {
    const inner = (schema as { type?: string; properties?: Record<string, unknown> })
    return inner.type === 'object' && inner.properties !== undefined
      ? schemaLeaves(inner.properties, `${prefix}${key}.`)
      : [`${prefix}${key}`]
  })
})(EmailSettings.properties, '')

function orderOf(field: string): number {
  const i = FIELD_ORDER.indexOf(field)
  return i === -1 ? FIELD_ORDER.length : i
}

/** Leaf fields: 'port', 'retry.maxAttempts', 'dsnNotify' (arrays compare whole). */
function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>()
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      for (const [field, leaf] of leaves(inner, prefix === '' ? key : `${prefix}.${key}`)) out.set(field, leaf)
    }
  } else if (prefix !== '') {
    out.set(prefix, value)
  }
  return out
}

/**
 * What changed between two settings, in field order, for the audit log ("who changed which
 * fields"). Secrets are compared but reported only as `{ field, secret: true, change: 'changed' }`.
 * Compare plaintext secrets or absence; two seals of one secret differ (random IV).
 */
export function diffSettings(before: Partial<EmailSettings>, after: Partial<EmailSettings>): SettingsChange[] {
  const a = leaves(before)
  const b = leaves(after)
  const changes: SettingsChange[] = []
  for (const field of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(field)
    const y = b.get(field)
    const same = JSON.stringify(x) === JSON.stringify(y) ||
      (isSecretField(field) && (x ?? '') === (y ?? ''))
    if (same) continue
    changes.push(isSecretField(field)
      ? { field, secret: true, change: 'changed' }
      : { field, secret: false, before: x, after: y })
  }
  return changes.sort((x, y) => orderOf(x.field) - orderOf(y.field))
}

/** Just the names of the changed fields (secrets included by name). */
export function changedFields(before: Partial<EmailSettings>, after: Partial<EmailSettings>): string[] {
  return diffSettings(before, after).map((c) => c.field)
}

/** A settings copy safe for logs: every secret replaced by '[redacted]' when set. */
export function redactSettings<T extends Partial<EmailSettings>>(settings: T): T {
  const copy = structuredClone(settings) as T & { password?: string; oauth2?: { clientSecret?: string } }
  for (const field of SECRET_FIELDS) {
    if (field === 'password' && copy.password !== undefined) copy.password = '[redacted]'
    if (field === 'oauth2.clientSecret' && copy.oauth2?.clientSecret !== undefined) copy.oauth2.clientSecret = '[redacted]'
  }
  return copy
}
