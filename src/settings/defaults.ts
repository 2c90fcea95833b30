/**
 * Every default of the E-Mail settings in one object (fastify's `defaultInitOptions` pattern):
 * the schema's `default:` keywords point into it, and a test checks the two agree. Seed defaults
 * are the seed page's (DESIGN.md §2); the rest are named here so nobody hunts for magic numbers.
 */

/** Retry policy defaults, undici style (`maxRetries`, `minTimeout`, `maxTimeout`, `timeoutFactor`). */
export const RETRY_DEFAULTS = {
  /** Attempts in total, the first one included. */
  maxAttempts: 10,
  /** Delay before the first retry. */
  minDelayMs: 5_000,
  /** Ceiling of the exponential backoff. */
  maxDelayMs: 900_000,
  /** Each retry waits `factor` times longer than the previous one. */
  factor: 2,
  /** Random spread as a fraction of the delay (0.2 = ±20 %), so a storm's retries do not align. */
  jitter: 0.2,
  /** An alert older than this is dead-lettered instead of retried: a day-old alert is history. */
  maxAgeMs: 86_400_000,
} as const

/** The literal default values; the typed, frozen `EMAIL_SETTINGS_DEFAULTS` is built from it in schema.ts. */
export const DEFAULT_VALUES = {
  // The seed's settings (DESIGN.md §2).
  enabled: false,
  host: '',
  port: 587,
  connectionTimeoutMs: 0,
  socketTimeoutMs: 0,
  authEnabled: false,
  username: '',
  technicalSupport: false,
  encryption: 'TLS',
  dsnRet: 'NONE',
  dsnNotify: [],
  ehlo: true,
  startTls: true,
  eightBitMime: false,
  partialEmail: false,
  userSet: false,
  quitWait: true,
  // Advanced.
  fromAddress: '',
  fromName: '',
  heloName: '',
  supportAddress: '',
  tlsMinVersion: 'TLSv1.2',
  tlsVerify: true,
  tlsCa: '',
  authMethod: 'AUTO',
  oauth2: { tokenUrl: '', clientId: '', scope: '' },
  allowInsecureAuth: false,
  maxConnections: 2,
  maxMessagesPerConnection: 100,
  /** RFC 5321 §4.5.3.1.8: every server buffers 100 (DEFAULT_MAX_RECIPIENTS_PER_MESSAGE in smtp/options.ts). */
  maxRecipientsPerMessage: 100,
  rateLimitPerMinute: 0,
  maxMessageBytes: 0,
  retry: RETRY_DEFAULTS,
  applianceName: 'alertmail',
  consoleUrl: '',
  templates: { subject: '', text: '', html: '' },
} as const

/** Longest accepted value of each free-text field, in characters. */
export const MAX_LENGTHS = {
  /** RFC 1035 §2.3.4: 253 characters of dotted name. */
  host: 253,
  /** RFC 5321 §4.5.3.1.3: a path is 256 octets with its angle brackets. */
  address: 254,
  username: 320,
  password: 1024,
  fromName: 200,
  heloName: 255,
  tlsCa: 65_536,
  url: 2048,
  clientId: 256,
  clientSecret: 2048,
  scope: 1024,
  applianceName: 100,
  /** RFC 5322 §2.1.1: a header line must not exceed 998 characters. */
  subject: 998,
  text: 65_536,
  html: 262_144,
} as const

/** Upper bound of the timeouts: an hour is already far beyond any sane SMTP wait. */
export const MAX_TIMEOUT_MS = 3_600_000
