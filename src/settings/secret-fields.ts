/**
 * The write-only settings (`writeOnly: true` in the schema): stored sealed, never returned by an
 * API, never logged, reported by the audit log only as "changed".
 */
export const SECRET_FIELDS = ['password', 'oauth2.clientSecret'] as const
export type SecretField = (typeof SECRET_FIELDS)[number]

export function isSecretField(field: string): field is SecretField {
  return (SECRET_FIELDS as readonly string[]).includes(field)
}

/** The secrets a settings object carries, as plain strings (absent when unset or empty). */
export interface SettingsSecrets {
  readonly password?: string
  readonly clientSecret?: string
}

interface SecretCarrier {
  readonly password?: string | undefined
  readonly oauth2?: { readonly clientSecret?: string | undefined }
}

export function readSecrets(settings: SecretCarrier): SettingsSecrets {
  const password = settings.password
  const clientSecret = settings.oauth2?.clientSecret
  return {
    ...(password === undefined || password === '' ? {} : { password }),
    ...(clientSecret === undefined || clientSecret === '' ? {} : { clientSecret }),
  }
}

/** A copy without any secret value: what may be stored in the clear, logged or returned. */
export function withoutSecrets<T extends SecretCarrier>(settings: T): Omit<T, 'password'> {
  const { password: _password, ...rest } = settings
  if (rest.oauth2 === undefined) return rest
  const { clientSecret: _secret, ...oauth2 } = rest.oauth2
  return { ...rest, oauth2 }
}

/**
 * Whether a Send Test Mail (or a save) may reuse the *stored* secrets with `candidate` settings:
 * only while the secret would go to the same place. The password follows host, port, encryption
 * and username (DESIGN.md §3), the client secret follows those and tokenUrl and clientId; otherwise the
 * request must carry the secret itself, so a typed-in host can never receive the saved password.
 */
export function mayReuseStoredSecrets(
  saved: { readonly host: string; readonly port: number; readonly encryption: string; readonly username: string;
    readonly oauth2: { readonly tokenUrl: string; readonly clientId: string } },
  candidate: { readonly host: string; readonly port: number; readonly encryption: string; readonly username: string;
    readonly oauth2: { readonly tokenUrl: string; readonly clientId: string } },
): { readonly password: boolean; readonly clientSecret: boolean } {
  const sameServer =
    saved.host.toLowerCase() === candidate.host.toLowerCase() &&
    saved.port === candidate.port &&
    saved.encryption === candidate.encryption &&
    saved.username === candidate.username
  return {
    password: sameServer,
    // The token minted with the secret is sent to the SMTP server, so the server must match too.
    clientSecret:
      sameServer && saved.oauth2.tokenUrl === candidate.oauth2.tokenUrl && saved.oauth2.clientId === candidate.oauth2.clientId,
  }
}
