import { Type } from '@sinclair/typebox'
import { AUTH_METHODS, TLS_VERSIONS } from './enums.js'
import { DEFAULT_VALUES as D, MAX_LENGTHS, MAX_TIMEOUT_MS, RETRY_DEFAULTS as R } from './defaults.js'
import { annotate, flag, integer, stringEnum, text } from './schema-helpers.js'

const strict = { additionalProperties: false } as const

/** OAuth2 client-credentials grant (RFC 6749 §4.4) for AUTH XOAUTH2. */
export const OAuth2Settings = Type.Object({
  tokenUrl: text(D.oauth2.tokenUrl, MAX_LENGTHS.url, {
    section: 'advanced', order: 1, title: 'Token URL',
    description: 'HTTPS token endpoint of the identity provider (http only for a loopback address).',
    examples: ['https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token'],
  }, { headerSafe: true }),
  clientId: text(D.oauth2.clientId, MAX_LENGTHS.clientId, {
    section: 'advanced', order: 2, title: 'Client ID',
    description: 'The application (client) ID registered with the identity provider.',
    examples: ['00000000-0000-0000-0000-000000000000'],
  }, { headerSafe: true }),
  clientSecret: Type.Optional(text('', MAX_LENGTHS.clientSecret, {
    section: 'advanced', order: 3, title: 'Client Secret',
    description: 'The application\'s client secret. Write-only: stored encrypted, never shown again.',
    examples: ['<client secret value>'],
  }, { writeOnly: true, headerSafe: true })),
  scope: text(D.oauth2.scope, MAX_LENGTHS.scope, {
    section: 'advanced', order: 4, title: 'Scope',
    description: 'Space-separated scopes to request; empty sends no scope parameter.',
    examples: ['https://outlook.office365.com/.default'],
  }, { headerSafe: true }),
}, {
  ...strict, default: {},
  ...annotate({
    section: 'advanced', order: 9, title: 'OAuth2 Client',
    description:
      'Where the XOAUTH2 access token comes from when Auth Method is XOAUTH2 (e.g. Microsoft 365, which is ' +
      'retiring password logins for SMTP). Tokens are cached until shortly before they expire.',
  }),
})

/** Retry policy of a delivery, undici-style names (STYLE.md §2.6). */
export const RetrySettings = Type.Object({
  maxAttempts: integer(R.maxAttempts, 1, 100, {
    section: 'advanced', order: 1, title: 'Max Attempts', unit: 'attempts',
    description: 'Attempts in total, the first one included, before a delivery is dead-lettered.',
    examples: [10],
  }),
  minDelayMs: integer(R.minDelayMs, 0, MAX_TIMEOUT_MS, {
    section: 'advanced', order: 2, title: 'First Retry Delay', unit: 'ms',
    description: 'Wait before the first retry, in milliseconds.',
    examples: [5_000],
  }),
  maxDelayMs: integer(R.maxDelayMs, 0, 24 * MAX_TIMEOUT_MS, {
    section: 'advanced', order: 3, title: 'Max Retry Delay', unit: 'ms',
    description: 'Longest wait between two attempts, in milliseconds; must not be less than the first delay.',
    examples: [900_000],
  }),
  factor: Type.Number({
    default: R.factor, minimum: 1, maximum: 10,
    ...annotate({
      section: 'advanced', order: 4, title: 'Backoff Factor',
      description: 'Each wait is this many times the previous one (1 = constant delay).',
      examples: [2],
    }),
  }),
  jitter: Type.Number({
    default: R.jitter, minimum: 0, maximum: 1,
    ...annotate({
      section: 'advanced', order: 5, title: 'Jitter', unit: 'fraction',
      description: 'Random spread of each wait as a fraction of it (0.2 = ±20 %), so retries do not align.',
      examples: [0.2],
    }),
  }),
  maxAgeMs: integer(R.maxAgeMs, 60_000, 7 * 24 * MAX_TIMEOUT_MS, {
    section: 'advanced', order: 6, title: 'Give Up After', unit: 'ms',
    description: 'A delivery still failing this long after its alert was raised is dead-lettered, in milliseconds.',
    examples: [86_400_000],
  }),
}, {
  ...strict, default: {},
  ...annotate({
    section: 'advanced', order: 16, title: 'Retry Policy',
    description: 'How failed deliveries are retried: exponential backoff with jitter, bounded in count and age.',
  }),
})

/** Notification templates (LiquidJS, rendered by notify/); '' = the built-in template. */
export const TemplateSettings = Type.Object({
  subject: text(D.templates.subject, MAX_LENGTHS.subject, {
    section: 'advanced', order: 1, title: 'Subject Template',
    description: 'Subject line template; one line. Empty: the built-in subject.',
    examples: ['[{{ severityLabel }}] {{ applianceName }}: {{ summary }}'],
  }, { headerSafe: true }),
  text: text(D.templates.text, MAX_LENGTHS.text, {
    section: 'advanced', order: 2, title: 'Text Body Template',
    description: 'Plain-text body template. Empty: the built-in body.',
    examples: ['{{ severityLabel }}: {{ summary }}\n\n{{ message }}\n\nOpen the console: {{ consoleUrl }}'],
  }),
  html: text(D.templates.html, MAX_LENGTHS.html, {
    section: 'advanced', order: 3, title: 'HTML Body Template',
    description: 'HTML body template. Empty: the built-in HTML body.',
    examples: ['<h1>{{ summary }}</h1><p>{{ message }}</p>'],
  }),
}, {
  ...strict, default: {},
  ...annotate({
    section: 'advanced', order: 19, title: 'Templates',
    description:
      'Templates of the notification mails (LiquidJS, strict variables such as summary, message, severityLabel, ' +
      'applianceName, consoleUrl). Empty strings use the built-in ones.',
  }),
})

export const ADVANCED_FIELDS = {
  fromAddress: text(D.fromAddress, MAX_LENGTHS.address, {
    section: 'advanced', order: 1, title: 'From Address',
    description: 'Sender address of notification mail (envelope and From header). Empty: Email Address is used.',
    examples: ['alerts@example.com'],
  }, { headerSafe: true }),
  fromName: text(D.fromName, MAX_LENGTHS.fromName, {
    section: 'advanced', order: 2, title: 'From Name',
    description: 'Display name shown with the From address. Empty: no display name.',
    examples: ['Appliance Alerts'],
  }, { headerSafe: true }),
  heloName: text(D.heloName, MAX_LENGTHS.heloName, {
    section: 'advanced', order: 3, title: 'HELO Name',
    description:
      'Name we give in EHLO/HELO (RFC 5321 §4.1.1.1): a fully qualified domain name or an address literal ' +
      'such as [192.0.2.1]. Empty: this machine\'s host name.',
    examples: ['appliance.example.com', '[192.0.2.1]'],
  }, { headerSafe: true }),
  supportAddress: text(D.supportAddress, MAX_LENGTHS.address, {
    section: 'advanced', order: 4, title: 'Support Address',
    description: 'Technical support mailbox that receives critical alerts when Technical Support is on.',
    examples: ['support@vendor.example'],
  }, { headerSafe: true }),
  tlsMinVersion: stringEnum(TLS_VERSIONS, {
    default: D.tlsMinVersion,
    ...annotate({
      section: 'advanced', order: 5, title: 'Minimum TLS Version',
      description: 'Oldest TLS version accepted for SSL and STARTTLS connections (RFC 8996 retired 1.0 and 1.1).',
      examples: ['TLSv1.3'],
    }),
  }),
  tlsVerify: flag(D.tlsVerify, {
    section: 'advanced', order: 6, title: 'Verify Server Certificate',
    description:
      'Check the server\'s certificate and name. Turn off only to diagnose: without it anyone on the path ' +
      'can read the mail and the password.',
    examples: [true],
  }),
  tlsCa: text(D.tlsCa, MAX_LENGTHS.tlsCa, {
    section: 'advanced', order: 7, title: 'Trusted CA Certificates',
    description: 'Extra CA certificates (PEM) to trust, e.g. your company\'s internal CA, in addition to the system ones.',
    examples: ['-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----'],
  }),
  authMethod: stringEnum(AUTH_METHODS, {
    default: D.authMethod,
    ...annotate({
      section: 'advanced', order: 8, title: 'Auth Method',
      description:
        'SASL mechanism for Enable Auth. AUTO picks the best the server offers (CRAM-MD5, then PLAIN, then ' +
        'LOGIN); XOAUTH2 uses an OAuth2 access token from OAuth2 Client.',
      examples: ['AUTO', 'XOAUTH2'],
    }),
  }),
  oauth2: OAuth2Settings,
  allowInsecureAuth: flag(D.allowInsecureAuth, {
    section: 'advanced', order: 10, title: 'Allow Auth Without Encryption',
    description:
      'Allow sending the password over an unencrypted connection to a host other than this machine. ' +
      'Off (recommended): such a login is refused before the password leaves.',
    examples: [false],
  }),
  maxConnections: integer(D.maxConnections, 1, 50, {
    section: 'advanced', order: 11, title: 'Max Connections', unit: 'connections',
    description: 'Most SMTP connections open at once to the relay.',
    examples: [2],
  }),
  maxMessagesPerConnection: integer(D.maxMessagesPerConnection, 1, 100_000, {
    section: 'advanced', order: 12, title: 'Max Messages per Connection', unit: 'messages',
    description: 'A connection is closed and reopened after this many messages (some relays limit it).',
    examples: [100],
  }),
  maxRecipientsPerMessage: integer(D.maxRecipientsPerMessage, 1, 1000, {
    section: 'advanced', order: 13, title: 'Max Recipients per Message', unit: 'recipients',
    description:
      'Most recipients in one SMTP transaction; a message to more is sent as several transactions of the same ' +
      'message. 100 is what every server must accept (RFC 5321 §4.5.3.1.8); lower it for relays that allow fewer.',
    examples: [100, 50],
  }),
  rateLimitPerMinute: integer(D.rateLimitPerMinute, 0, 1_000_000, {
    section: 'advanced', order: 14, title: 'Rate Limit', unit: 'per minute',
    description:
      'Most messages sent per minute, critical alerts first; match your provider\'s limit. 0 = unlimited.',
    examples: [30],
  }),
  maxMessageBytes: integer(D.maxMessageBytes, 0, 1_073_741_824, {
    section: 'advanced', order: 15, title: 'Max Message Size', unit: 'bytes',
    description:
      'Largest message to send in one piece, in bytes; with Enable Partial Email larger ones are split. ' +
      '0 = only the server\'s advertised SIZE limit applies.',
    examples: [10_000_000],
  }),
  retry: RetrySettings,
  applianceName: text(D.applianceName, MAX_LENGTHS.applianceName, {
    section: 'advanced', order: 17, title: 'Appliance Name',
    description: 'Name of this appliance, shown in the subject and body of notifications.',
    examples: ['edge-waf-01'],
  }, { headerSafe: true }),
  consoleUrl: text(D.consoleUrl, MAX_LENGTHS.url, {
    section: 'advanced', order: 18, title: 'Console URL',
    description: 'http(s) address of the management console, linked from notifications. Empty: no link.',
    examples: ['https://waf.example.com/'],
  }, { headerSafe: true }),
  templates: TemplateSettings,
}
