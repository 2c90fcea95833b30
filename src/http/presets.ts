/**
 * Starting points for the settings form ("Load preset"): well-known providers' relay settings.
 * Only the server part; the administrator still types the account and password.
 */
export interface SettingsPreset {
  readonly id: string
  readonly label: string
  readonly note: string
  readonly settings: {
    readonly host: string
    readonly port: number
    readonly encryption: 'NONE' | 'SSL' | 'TLS'
    readonly startTls: boolean
    readonly authEnabled: boolean
    readonly authMethod?: 'AUTO' | 'XOAUTH2'
  }
}

export const SETTINGS_PRESETS: readonly SettingsPreset[] = [
  {
    id: 'gmail',
    label: 'Gmail / Google Workspace',
    note: 'Use an App Password (Google Account → Security → App passwords) when 2-step verification is on.',
    settings: { host: 'smtp.gmail.com', port: 587, encryption: 'TLS', startTls: true, authEnabled: true, authMethod: 'AUTO' },
  },
  {
    id: 'microsoft365',
    label: 'Microsoft 365 (OAuth2)',
    note: 'Basic authentication is being retired: register an app and use XOAUTH2 with the client-credentials token URL.',
    settings: { host: 'smtp.office365.com', port: 587, encryption: 'TLS', startTls: true, authEnabled: true, authMethod: 'XOAUTH2' },
  },
  {
    id: 'submission',
    label: 'Mail submission with STARTTLS (port 587)',
    note: 'The usual choice for a provider or company mail server.',
    settings: { host: '', port: 587, encryption: 'TLS', startTls: true, authEnabled: true, authMethod: 'AUTO' },
  },
  {
    id: 'implicit-tls',
    label: 'Implicit TLS (port 465)',
    note: 'For servers that speak TLS from the first byte (SMTPS).',
    settings: { host: '', port: 465, encryption: 'SSL', startTls: false, authEnabled: true, authMethod: 'AUTO' },
  },
  {
    id: 'local-relay',
    label: 'Local relay (port 25, no authentication)',
    note: 'A trusted MTA on your own network; STARTTLS is used when it offers it.',
    settings: { host: 'localhost', port: 25, encryption: 'NONE', startTls: true, authEnabled: false, authMethod: 'AUTO' },
  },
]
