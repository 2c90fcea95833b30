/**
 * The E-Mail settings' public surface (TEAM.md "Contracts"): one TypeBox schema read by validation,
 * the HTTP routes and OpenAPI, the web form, the CLI and docs/config.md. Import from here only.
 *
 * @example
 * const r = validateEmailSettings(JSON.parse(await readFile(file, 'utf8')))
 * if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '))
 * const pool = new SmtpPool(smtpOptionsFromSettings(r.value))
 */
export {
  EmailSettings,
  EMAIL_SETTINGS_DEFAULTS,
  EMAIL_SETTINGS_FIELDS,
  OAuth2Settings,
  RetrySettings,
  TemplateSettings,
} from './schema.js'
export { RETRY_DEFAULTS, MAX_LENGTHS, MAX_TIMEOUT_MS } from './defaults.js'
export { ENCRYPTIONS, AUTH_METHODS, DSN_RETS, DSN_NOTIFY_VALUES, TLS_VERSIONS } from './enums.js'
export { SETTINGS_SCHEMA_KEYWORDS, SECTIONS, NO_LINE_BREAKS } from './schema-helpers.js'
export type { Section, Unit } from './schema-helpers.js'
export { validateEmailSettings, parseEmailSettings, defaultEmailSettings } from './validate.js'
export type { EmailSettingsValidation } from './validate.js'
export type { FieldIssue } from './issues.js'
export { SECRET_FIELDS, isSecretField, readSecrets, withoutSecrets, mayReuseStoredSecrets } from './secret-fields.js'
export type { SecretField, SettingsSecrets } from './secret-fields.js'
export { smtpOptionsFromSettings } from './to-smtp-options.js'
export type { SmtpSecrets } from './to-smtp-options.js'
export { SecretBox, SECRET_KEY_FILE, SEALED_VERSION } from './secret-box.js'
export type { SecretBoxOptions } from './secret-box.js'
export {
  createOAuth2TokenProvider,
  TOKEN_EXPIRY_MARGIN_MS,
  TOKEN_DEFAULT_LIFETIME_MS,
  TOKEN_REQUEST_TIMEOUT_MS,
} from './oauth2-token.js'
export type { AccessTokenProvider, FetchLike, OAuth2ClientConfig, OAuth2ProviderOptions } from './oauth2-token.js'
export { EmailSettingsResponse, toSettingsResponse, diffSettings, changedFields, redactSettings } from './redact.js'
export type { SettingsChange } from './redact.js'
export { PROVIDER_PRESETS } from './presets.js'
export type { ProviderPreset, PresetSettings } from './presets.js'
export { SettingsError, isSettingsError, SETTINGS_ERRORS, SETTINGS_ERROR_CODES } from './errors.js'
export type { SettingsErrorCode } from './errors.js'
export { renderConfigDoc } from './config-doc.js'
