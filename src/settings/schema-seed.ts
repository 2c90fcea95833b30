import { Type } from '@sinclair/typebox'
import { DSN_NOTIFY_VALUES, DSN_RETS, ENCRYPTIONS } from './enums.js'
import { DEFAULT_VALUES as D, MAX_LENGTHS, MAX_TIMEOUT_MS } from './defaults.js'
import { annotate, flag, integer, stringEnum, text } from './schema-helpers.js'

/**
 * The seed page's settings (DESIGN.md §2), in the seed's order and with its labels. Descriptions
 * say what each one really does, correcting the seed where it was wrong (DSN is not DNS).
 */
export const SEED_FIELDS = {
  enabled: flag(D.enabled, {
    section: 'seed', order: 1, title: 'Enable Email Notifications',
    description:
      'Master switch. Off: events are still recorded but no notification mail is queued (they show as suppressed). ' +
      'Send Test Mail works either way.',
    examples: [true],
  }),
  host: text(D.host, MAX_LENGTHS.host, {
    section: 'seed', order: 2, title: 'Email Server',
    description:
      'Host name or IP address (IPv4, or IPv6 without brackets) of the SMTP relay that accepts our mail. ' +
      'Required when notifications are enabled.',
    examples: ['smtp.example.com', '192.0.2.25', '2001:db8::25'],
  }, { headerSafe: true }),
  port: integer(D.port, 1, 65535, {
    section: 'seed', order: 3, title: 'Server Port',
    description:
      'TCP port of the relay: 587 for submission with STARTTLS (Encryption Protocol TLS), 465 for implicit TLS ' +
      '(SSL), 25 for a relay on the local network.',
    examples: [587, 465, 25],
  }),
  connectionTimeoutMs: integer(D.connectionTimeoutMs, 0, MAX_TIMEOUT_MS, {
    section: 'seed', order: 4, title: 'Connection Timeout', unit: 'ms',
    description:
      'How long to wait for the TCP connection (and, with SSL, the TLS handshake) before giving up, in ' +
      'milliseconds. 0 disables the limit.',
    examples: [10_000],
  }),
  socketTimeoutMs: integer(D.socketTimeoutMs, 0, MAX_TIMEOUT_MS, {
    section: 'seed', order: 5, title: 'Socket Timeout', unit: 'ms',
    description:
      'How long to wait for each reply of the server (greeting, every command, QUIT) before giving up, in ' +
      'milliseconds, like JavaMail\'s mail.smtp.timeout. 0 disables the limit.',
    examples: [30_000],
  }),
  authEnabled: flag(D.authEnabled, {
    section: 'seed', order: 6, title: 'Enable Auth',
    description:
      'Log in to the relay (SMTP AUTH) after STARTTLS and EHLO. If the server offers no mechanism we can use, ' +
      'sending fails with a clear error: mail is never sent unauthenticated by surprise.',
    examples: [true],
  }),
  username: text(D.username, MAX_LENGTHS.username, {
    section: 'seed', order: 7, title: 'Email Address',
    description:
      'The login name for Enable Auth, usually your mailbox address. It is also the From address unless ' +
      'From Address is set (some providers use a fixed login such as "apikey"; then set From Address).',
    examples: ['alerts@example.com'],
  }, { headerSafe: true }),
  password: Type.Optional(text('', MAX_LENGTHS.password, {
    section: 'seed', order: 8, title: 'Email Password',
    description:
      'Password (or app password, or API key) for Enable Auth. Write-only: it is stored encrypted and never ' +
      'shown again; leave it out of an update to keep the stored one.',
    examples: ['<app password>'],
  }, { writeOnly: true })),
  technicalSupport: flag(D.technicalSupport, {
    section: 'seed', order: 9, title: 'Technical Support',
    description:
      'Also send critical alerts to the vendor\'s technical support (Support Address), as a separate message ' +
      'so your own recipients are not disclosed.',
    examples: [true],
  }),
  encryption: stringEnum(ENCRYPTIONS, {
    default: D.encryption,
    ...annotate({
      section: 'seed', order: 10, title: 'Encryption Protocol',
      description:
        'NONE: no encryption required (STARTTLS is still used when offered and Start TLS is on). ' +
        'SSL: TLS from the first byte (implicit TLS, usually port 465). ' +
        'TLS: encryption is mandatory through STARTTLS (usually port 587); if the server does not offer ' +
        'STARTTLS the send fails instead of continuing in clear text.',
      examples: ['TLS', 'SSL'],
    }),
  }),
  dsnRet: stringEnum(DSN_RETS, {
    default: D.dsnRet,
    ...annotate({
      section: 'seed', order: 11, title: 'DSN Response',
      description:
        'Delivery Status Notification RET parameter (RFC 3461 §4.3): how much of the original message a ' +
        'bounce or delivery report returns. FULL: the whole message; HDRS: only its headers; NONE: let the ' +
        'server decide (no parameter). Sent only when the server advertises DSN.',
      examples: ['HDRS'],
    }),
  }),
  dsnNotify: Type.Array(
    stringEnum(DSN_NOTIFY_VALUES, { description: 'One DSN NOTIFY keyword.' }),
    {
      default: [...D.dsnNotify], maxItems: 3, uniqueItems: true,
      ...annotate({
        section: 'seed', order: 12, title: 'DSN Notify',
        description:
          'When the receiving servers should send a Delivery Status Notification (RFC 3461 §4.1 NOTIFY): any ' +
          'of SUCCESS, FAILURE, DELAY, or NEVER alone; empty: let the server decide (no parameter). Sent on ' +
          'every recipient only when the server advertises DSN.',
        examples: [['FAILURE', 'DELAY'], ['NEVER']],
      }),
    },
  ),
  ehlo: flag(D.ehlo, {
    section: 'seed', order: 13, title: 'Enable EHLO',
    description:
      'On: greet with EHLO (RFC 5321 §4.1.1.1) and learn the server\'s extensions, falling back to HELO if ' +
      'EHLO is refused. Off: HELO only, for very old servers; then STARTTLS, AUTH, DSN and 8BITMIME cannot ' +
      'be used.',
    examples: [true],
  }),
  startTls: flag(D.startTls, {
    section: 'seed', order: 14, title: 'Start TLS',
    description:
      'Upgrade the connection with STARTTLS (RFC 3207). With encryption NONE it is opportunistic (used when ' +
      'offered); with TLS it must be on; ignored with SSL, which is encrypted from the start.',
    examples: [true],
  }),
  eightBitMime: flag(D.eightBitMime, {
    section: 'seed', order: 15, title: 'Enable 8-bit Mime',
    description:
      'When the server advertises 8BITMIME, send non-ASCII text as 8-bit with BODY=8BITMIME (RFC 6152), ' +
      'which is smaller and more readable in transit. Off, or when not advertised: 7-bit-safe encodings ' +
      '(quoted-printable or base64) are always used.',
    examples: [true],
  }),
  partialEmail: flag(D.partialEmail, {
    section: 'seed', order: 16, title: 'Enable Partial Email',
    description:
      'A message larger than the server\'s SIZE limit (or Max Message Size) is sent as several RFC 2046 ' +
      'message/partial mails that the recipient\'s mail client joins again. Off: such a message fails with ' +
      'a clear size error.',
    examples: [true],
  }),
  userSet: flag(D.userSet, {
    section: 'seed', order: 17, title: 'Enable UserSet',
    description:
      'Check that a reused connection is still alive with RSET instead of NOOP (like JavaMail\'s ' +
      'mail.smtp.userset), for servers that do not answer NOOP properly.',
    examples: [true],
  }),
  quitWait: flag(D.quitWait, {
    section: 'seed', order: 18, title: 'Enable Quit Wait',
    description:
      'On: send QUIT and wait for the server\'s 221 reply before closing, a graceful goodbye. Off: send QUIT ' +
      'and close at once, which is faster with servers that are slow to answer it.',
    examples: [true],
  }),
}
