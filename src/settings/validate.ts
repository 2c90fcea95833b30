import { Ajv, type ValidateFunction } from 'ajv'
import { default as addFormatsModule } from 'ajv-formats'
import { SettingsError } from './errors.js'
import { fieldIssue, issuesFromAjv, type FieldIssue } from './issues.js'
import { checkRules } from './rules.js'
import { EmailSettings } from './schema.js'
import { SETTINGS_SCHEMA_KEYWORDS } from './schema-helpers.js'

export type EmailSettingsValidation =
  | { readonly ok: true; readonly value: EmailSettings; readonly warnings: FieldIssue[] }
  | { readonly ok: false; readonly errors: FieldIssue[]; readonly warnings: FieldIssue[] }

// ajv-formats is CommonJS with a default export; under nodenext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }

let compiled: ValidateFunction | undefined

/** Compiled once, on first use (fastify's build-validation: one schema, defaults filled in). */
function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv({
      allErrors: true,
      useDefaults: true,
      strict: true,
      keywords: [...SETTINGS_SCHEMA_KEYWORDS],
    })
    addFormats.default(ajv)
    compiled = ajv.compile(EmailSettings)
  }
  return compiled
}

/**
 * Validates settings from any source (API body, CLI settings file, the store), fills in defaults,
 * and applies the cross-field rules. Never throws; never mutates `input`.
 *
 * @example
 * const r = validateEmailSettings({ port: 70000 })
 * // r.ok === false, r.errors[0] = { field: 'port', message: 'port: must be an integer from 1 to 65535 (got 70000)' }
 */
export function validateEmailSettings(input: unknown): EmailSettingsValidation {
  let data: unknown
  try {
    // A JSON round trip: a private copy for Ajv's defaults, and `undefined` members become absent.
    data = input === undefined ? {} : JSON.parse(JSON.stringify(input))
  } catch {
    return { ok: false, errors: [fieldIssue('', 'must be JSON data')], warnings: [] }
  }
  const validate = validator()
  const schemaOk = validate(data)
  const errors = schemaOk ? [] : issuesFromAjv(validate.errors ?? [], data)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, errors, warnings: [] }

  const refused = new Set(errors.map((e) => e.field))
  // A field is usable for the rules when neither it nor anything inside or around it was refused.
  const usable = (field: string): boolean =>
    ![...refused].some((r) => r === field || r.startsWith(`${field}.`) || field.startsWith(`${r}.`))
  const rules = checkRules(data as EmailSettings, usable)
  const allErrors = [...errors, ...rules.errors]
  if (allErrors.length > 0) return { ok: false, errors: allErrors, warnings: rules.warnings }
  return { ok: true, value: data as EmailSettings, warnings: rules.warnings }
}

/** The whole default settings object, produced by the schema itself (useDefaults on `{}`). */
export function defaultEmailSettings(): EmailSettings {
  const result = validateEmailSettings({})
  if (!result.ok) throw new Error(`settings schema defaults are invalid: ${result.errors.map((e) => e.message).join('; ')}`)
  return result.value
}

/**
 * validateEmailSettings for callers that cannot go on without valid settings (boot, a settings
 * file): the value, or a SettingsError ERR_CONFIG_INVALID whose message lists every issue and
 * whose `issues` carries them one per field.
 */
export function parseEmailSettings(input: unknown, source = 'settings'): { value: EmailSettings; warnings: FieldIssue[] } {
  const result = validateEmailSettings(input)
  if (result.ok) return { value: result.value, warnings: result.warnings }
  throw new SettingsError('ERR_CONFIG_INVALID', `${source} are invalid: ${result.errors.map((e) => e.message).join('; ')}`, {
    issues: result.errors,
  })
}
