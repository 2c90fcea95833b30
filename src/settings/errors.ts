/**
 * Errors of the settings module (STYLE.md §2.5: each module owns its errors; match on `code`).
 * None of them ever carries a secret: messages name the step and the file, never the value.
 */
export const SETTINGS_ERRORS = {
  ERR_CONFIG_INVALID: 'The settings do not pass validation; `issues` lists each field.',
  ERR_CONFIG_SECRET_KEY: 'The secret key (ALERTMAIL_SECRET_KEY or the key file) is missing, unreadable or malformed.',
  ERR_CONFIG_SECRET_FORMAT: 'A sealed secret is not in the `v1:iv:tag:ciphertext` format.',
  ERR_CONFIG_SECRET_UNSEAL: 'A sealed secret failed authentication: it was altered, or sealed with another key.',
  ERR_CONFIG_OAUTH2: 'The OAuth2 token endpoint could not be reached or did not return a usable access token.',
} as const

export type SettingsErrorCode = keyof typeof SETTINGS_ERRORS
export const SETTINGS_ERROR_CODES = Object.keys(SETTINGS_ERRORS) as SettingsErrorCode[]

export class SettingsError extends Error {
  override readonly name = 'SettingsError'
  readonly code: SettingsErrorCode
  /** For ERR_CONFIG_OAUTH2: which step failed ('request', 'response', 'parse'). */
  readonly step: string | undefined
  /** For ERR_CONFIG_INVALID: the problems, one per field. */
  readonly issues: readonly { readonly field: string; readonly message: string }[]

  constructor(
    code: SettingsErrorCode,
    message: string,
    opts: { step?: string; issues?: readonly { field: string; message: string }[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.step = opts.step
    this.issues = opts.issues ?? []
  }
}

export function isSettingsError(value: unknown): value is SettingsError {
  return value instanceof SettingsError
}
