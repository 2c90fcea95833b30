import { Type, type Static } from '@sinclair/typebox'
import { DEFAULT_VALUES as V } from './defaults.js'
import { ADVANCED_FIELDS } from './schema-advanced.js'
import { SEED_FIELDS } from './schema-seed.js'

export { OAuth2Settings, RetrySettings, TemplateSettings } from './schema-advanced.js'

/**
 * The E-Mail settings: one TypeBox schema that is JSON Schema and a static type at once
 * (STYLE.md §2.6). Read by validation (validate.ts), the HTTP routes and OpenAPI, the web form
 * (`x-section`, `x-order`, `x-unit`, `writeOnly`) and docs/config.md (config-doc.ts).
 * Unknown keys are refused (`additionalProperties: false`), every string is length-bounded.
 *
 * @example
 * const result = validateEmailSettings({ enabled: true, host: 'smtp.example.com', username: 'a@example.com' })
 * if (result.ok) result.value.port // 587, filled in from the schema's default
 */
export const EmailSettings = Type.Object(
  { ...SEED_FIELDS, ...ADVANCED_FIELDS },
  {
    additionalProperties: false,
    title: 'E-Mail Settings',
    description:
      'SMTP relay and notification settings (System → E-Mail). Omitted fields take their defaults; ' +
      'unknown fields are refused.',
  },
)
export type EmailSettings = Static<typeof EmailSettings>

/** Top-level JSON names in UI order: the seed's fields, then the advanced ones. */
export const EMAIL_SETTINGS_FIELDS = Object.keys(EmailSettings.properties) as (keyof EmailSettings)[]

/**
 * Every default in one frozen object (fastify's `defaultInitOptions`): the schema's `default:`
 * keywords come from the same values, and a test checks that Ajv's filled-in `{}` equals it.
 */
export const EMAIL_SETTINGS_DEFAULTS: Readonly<EmailSettings> = deepFreeze({
  ...V,
  dsnNotify: [...V.dsnNotify],
  oauth2: { ...V.oauth2 },
  retry: { ...V.retry },
  templates: { ...V.templates },
})

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
