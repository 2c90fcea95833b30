import type { FastifyInstance } from 'fastify'
import type { Store } from '../../outbox/index.js'
import { EmailSettings, PROVIDER_PRESETS, mayReuseStoredSecrets, readSecrets, validateEmailSettings, withoutSecrets } from '../../settings/index.js'
import { principalOf } from '../auth.js'
import { HttpProblem, validationProblem, type FieldError } from '../problem.js'
import { changedFields, fromRecord, loadSaved, presentSettings, stripReadOnly, type SavedSettings } from '../settings-view.js'

/** Seals and unseals secrets (settings' SecretBox: AES-256-GCM). */
export interface SecretSealer {
  seal(text: string): string
  unseal(sealed: string): string
}

export interface SettingsRoutesOptions {
  readonly store: Store
  readonly secrets: SecretSealer
  readonly now: () => Date
}

/** PEM bundles and templates make this the largest admin body; still far below a DoS size. */
export const SETTINGS_BODY_LIMIT = 1024 * 1024

const passThrough = () => (data: unknown) => ({ value: data })

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * GET|PUT /api/v1/settings/email and its schema (DESIGN.md §3, issue 3 §4). PUT replaces the
 * settings (omitted fields take their defaults) with compare-and-swap on `version`; a secret
 * absent from the body keeps the stored one, `null` clears it.
 */
export async function settingsRoutes(app: FastifyInstance, opts: SettingsRoutesOptions): Promise<void> {
  const { store, secrets, now } = opts
  const tags = ['settings']

  app.get('/settings/email', { schema: { tags, summary: 'The E-Mail settings (never the password: passwordSet instead)' } }, async () =>
    presentSettings(await loadSaved(store)),
  )

  app.get('/settings/email/schema', { schema: { tags, summary: 'JSON Schema of the settings (titles, defaults, units, sections) and presets' } }, async () => ({
    schema: EmailSettings,
    defaults: withoutSecrets(validateDefaults()),
    presets: PROVIDER_PRESETS,
  }))

  app.put(
    '/settings/email',
    {
      bodyLimit: SETTINGS_BODY_LIMIT,
      // settings' validator names fields in plain sentences and applies the cross-field rules.
      validatorCompiler: passThrough,
      schema: { tags, summary: 'Save Changes: replace the settings (version must be the current one)', body: EmailSettings },
    },
    async (request) => {
      const raw = request.body
      if (!isObject(raw)) throw validationProblem([{ field: '', message: 'must be a JSON object of settings' }])
      const version = raw['version']
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
        throw validationProblem([{ field: 'version', message: 'is required: send the version from GET (0 before the first save)' }])
      }
      const saved = await loadSaved(store)
      if (version !== saved.version) throw conflict(saved)

      const body = stripReadOnly(raw)
      const clearPassword = body['password'] === null
      if (clearPassword) delete body['password']
      const oauth2 = body['oauth2']
      const clearClientSecret = isObject(oauth2) && oauth2['clientSecret'] === null
      if (clearClientSecret && isObject(oauth2)) delete oauth2['clientSecret']

      const checked = validateEmailSettings(body)
      if (!checked.ok) throw validationProblem(checked.errors, undefined)
      const next = checked.value
      const sealed = nextSecrets(saved, next, { clearPassword, clearClientSecret }, secrets)

      const plain = withoutSecrets(next)
      const result = await store.saveSettings({ settings: plain, secrets: sealed.secrets }, version)
      if (!result.ok) throw conflict(fromRecord(result.current))

      const fields = [...changedFields(withoutSecrets(saved.settings), plain), ...sealed.changed].sort()
      await store.appendAudit({ at: now(), actor: principalOf(request).id, action: 'settings.email.update', fields })
      request.log.info({ fields, version: result.record.version }, 'e-mail settings saved')
      return presentSettings({ ...fromRecord(result.record), warnings: checked.warnings })
    },
  )
}

function validateDefaults() {
  const r = validateEmailSettings({})
  if (!r.ok) throw new Error('settings defaults do not validate')
  return r.value
}

function conflict(current: SavedSettings): HttpProblem {
  return new HttpProblem(409, 'ERR_SETTINGS_VERSION_CONFLICT', 'The settings were changed by someone else since you loaded them; review the current values and save again.', {
    extensions: { current: presentSettings(current) },
  })
}

/**
 * Which sealed secrets to store. A secret follows the server it was typed for: when host, port,
 * encryption or username change (mayReuseStoredSecrets), the stored one is not carried over, so a
 * changed host can never receive the saved password; with AUTH on, the body must then carry it.
 */
function nextSecrets(
  saved: SavedSettings,
  next: EmailSettings,
  clear: { clearPassword: boolean; clearClientSecret: boolean },
  box: SecretSealer,
): { secrets: Record<string, string>; changed: string[] } {
  const incoming = readSecrets(next)
  const reuse = mayReuseStoredSecrets(saved.settings, next)
  const secrets: Record<string, string> = {}
  const changed: string[] = []
  const errors: FieldError[] = []
  const usesOAuth = next.authEnabled && next.authMethod === 'XOAUTH2'

  const decide = (key: 'password' | 'oauth2.clientSecret', value: string | undefined, cleared: boolean, mayReuse: boolean, needed: boolean) => {
    const stored = saved.sealed[key]
    if (value !== undefined && stored !== undefined && sameSecret(box, stored, value)) {
      secrets[key] = stored // the form sent the saved secret back unchanged: not a change
    } else if (value !== undefined) {
      secrets[key] = box.seal(value)
      changed.push(key)
    } else if (cleared || stored === undefined) {
      if (stored !== undefined) changed.push(key)
    } else if (mayReuse) {
      secrets[key] = stored
    } else if (needed) {
      errors.push({ field: key, message: 'must be entered again: the server or username changed, and the saved one is only sent where it was saved for' })
    } else {
      changed.push(key)
    }
  }
  decide('password', incoming.password, clear.clearPassword, reuse.password, next.authEnabled && !usesOAuth)
  decide('oauth2.clientSecret', incoming.clientSecret, clear.clearClientSecret, reuse.clientSecret, usesOAuth)
  if (errors.length > 0) throw validationProblem(errors)
  return { secrets, changed }
}

function sameSecret(box: SecretSealer, sealed: string, value: string): boolean {
  try {
    return box.unseal(sealed) === value
  } catch {
    return false // sealed with another key: store the new one
  }
}
