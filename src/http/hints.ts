import type { ErrorSummary, Step } from '../smtp/index.js'

/**
 * Plain-language next steps for a failed Send Test Mail (issue 3 §6). Decided from our error
 * codes, reply codes, RFC 3463 enhanced codes, the failed step and the settings in the form —
 * never from the words of a reply (STYLE.md §2.5: servers word things differently).
 */
export interface HintContext {
  readonly error: Pick<ErrorSummary, 'code' | 'command' | 'reply'>
  readonly steps: readonly Step[]
  readonly settings: {
    readonly host: string
    readonly port: number
    readonly encryption: 'NONE' | 'SSL' | 'TLS'
    readonly authEnabled: boolean
    readonly authMethod?: string
    readonly tlsVerify?: boolean
  }
}

/** Providers whose basic-auth SMTP needs an app password when 2-step verification is on. */
const APP_PASSWORD_HOSTS = /(^|\.)(gmail\.com|googlemail\.com|google\.com|office365\.com|outlook\.com|live\.com|yahoo\.com|icloud\.com|me\.com)$/i

function failedStep(steps: readonly Step[]): Step | undefined {
  return steps.find((s) => !s.ok)
}

function hasStep(steps: readonly Step[], name: Step['step']): boolean {
  return steps.some((s) => s.step === name)
}

export function hintFor(ctx: HintContext): string {
  const { error, steps, settings } = ctx
  const where = `${settings.host}:${settings.port}`
  const reply = error.reply
  const enhanced = reply?.enhanced ?? ''
  const failed = failedStep(steps)

  switch (error.code) {
    case 'ERR_SMTP_CONNECT':
      return (
        `Could not open a connection to ${where}. Check the server name and port (587 for TLS, 465 for SSL, ` +
        `25 for a local relay), that the server is running, and that no firewall blocks outgoing connections.`
      )
    case 'ERR_SMTP_TIMEOUT':
      if (settings.port === 465 && settings.encryption !== 'SSL') {
        return 'Port 465 expects TLS from the first byte: choose SSL as the encryption protocol, or use port 587 with TLS.'
      }
      if (settings.encryption === 'SSL' && settings.port !== 465) {
        return `The server did not answer in time. SSL (implicit TLS) is normally on port 465; port ${settings.port} usually expects TLS (STARTTLS) or NONE.`
      }
      return `The server at ${where} did not answer in time. Check the host and port, and that a firewall is not silently dropping the connection; raise the timeouts if the server is slow.`
    case 'ERR_SMTP_CLOSED':
      if (settings.encryption === 'SSL' && failed?.step !== 'data') {
        return 'The server closed the connection. If it expects STARTTLS rather than TLS from the first byte, choose TLS on port 587 (or NONE); SSL is for port 465.'
      }
      return 'The server closed the connection unexpectedly. Check that this host is allowed to use the relay, then try again.'
    case 'ERR_SMTP_TLS':
      // STARTTLS never sent (TLS mode): the server did not offer it after EHLO.
      if (settings.encryption === 'TLS' && !hasStep(steps, 'starttls')) {
        return 'The server does not offer STARTTLS. Choose SSL on port 465 if the server supports implicit TLS, or NONE if it is a trusted relay on your own network.'
      }
      if (settings.encryption === 'SSL' && failed?.step === 'connect' && !hasStep(steps, 'greeting')) {
        return (
          'The TLS connection failed. If the certificate was refused, add the CA certificate under Advanced (tlsCa) ' +
          'or use the host name the certificate was issued for; if the server does not speak TLS on this port, choose TLS on 587 or NONE.'
        )
      }
      return (
        'The server\'s certificate was refused or the TLS handshake failed. Add the issuing CA certificate under Advanced (tlsCa), ' +
        'or enter the host name the certificate was issued for instead of an IP address; check the minimum TLS version.'
      )
    case 'ERR_SMTP_AUTH': {
      if (reply === undefined) {
        return 'The server offers no authentication method we can use here. Many servers offer AUTH only after STARTTLS: use TLS or SSL; or turn off Enable Auth if this relay needs none.'
      }
      // RFC 4954 §6: 534 5.7.9 "authentication mechanism is too weak" (Gmail: app password required).
      if (reply.code === 534 || enhanced === '5.7.9') {
        return 'The server wants a stronger sign-in: for Gmail or Microsoft 365 with 2-step verification, create an App Password and use it here, or use XOAUTH2.'
      }
      if (reply.code === 454 || enhanced.startsWith('4.')) {
        return 'The server could not check the credentials right now (temporary failure). Try again in a few minutes.'
      }
      if (reply.code === 538 || enhanced === '5.7.11') {
        return 'The server requires encryption before authentication: choose TLS or SSL.'
      }
      if (settings.authMethod === 'XOAUTH2') {
        return 'The server refused the OAuth2 access token. Check the token URL, client id, client secret and scope, and that the account may send mail over SMTP.'
      }
      const app = APP_PASSWORD_HOSTS.test(settings.host)
        ? ' This provider needs an App Password (created in the account\'s security settings) when 2-step verification is on.'
        : ' Some providers (e.g. Gmail) need an App Password instead of the account password.'
      return `The server refused the username or password (${reply.code}${enhanced ? ` ${enhanced}` : ''}). Check both.${app}`
    }
    case 'ERR_SMTP_REJECTED':
      return rejectedHint(ctx)
    case 'ERR_SMTP_SIZE':
      return 'The message is larger than the server accepts. Turn on Enable Partial Email or raise the server\'s size limit.'
    case 'ERR_SMTP_UNSUPPORTED':
      return 'The message needs an extension the server does not offer (8BITMIME or SMTPUTF8). Turn off Enable 8-bit Mime or use ASCII addresses.'
    case 'ERR_SMTP_ENVELOPE':
      return 'An address is not valid: check the From address (or Email Address) and the test recipient.'
    case 'ERR_SMTP_PROTOCOL':
      if (!settings.authEnabled && settings.encryption === 'NONE') {
        return 'The server answered something that is not SMTP. Check the port: 465 expects SSL, 587 expects TLS.'
      }
      return 'The server answered something that is not SMTP, or in an unexpected order. Check the host and port and the encryption protocol.'
    case 'ERR_SMTP_CONFIG':
      return configHint(ctx)
    case 'ERR_SMTP_ABORTED':
      return 'The test took too long and was stopped. Set a connection and socket timeout so a slow server fails with a clear step.'
    default:
      return 'See the transcript for the server\'s last reply.'
  }
}

function rejectedHint(ctx: HintContext): string {
  const { error, settings } = ctx
  const reply = error.reply
  const enhanced = reply?.enhanced ?? ''
  const command = (error.command ?? '').toUpperCase()
  if (reply && (reply.code >= 400 && reply.code < 500)) {
    return 'The server refused for now (a temporary 4xx reply, e.g. greylisting or a rate limit). Try again in a few minutes.'
  }
  if (command.startsWith('RCPT')) {
    // RFC 3463: X.7.1 delivery not authorized (typically relaying denied); X.1.x bad destination.
    if (enhanced === '5.7.1' || reply?.code === 554) {
      return settings.authEnabled
        ? 'The server refuses to relay to this recipient for this account. Check that the account may send to outside addresses.'
        : 'The server refuses to relay: turn on Enable Auth with an account of this server, or ask its administrator to allow this appliance\'s address.'
    }
    return 'The server refused the test recipient: check the address.'
  }
  if (command.startsWith('MAIL')) {
    return 'The server refused the sender address. Use the address of the authenticated account (Email Address) or one it may send as.'
  }
  if (command.startsWith('DATA') || command === '' && ctx.steps.some((s) => s.step === 'data' && !s.ok)) {
    return 'The server refused the message content (possibly a spam or policy filter). Check the From address and the server\'s logs.'
  }
  if (command.startsWith('EHLO') || command.startsWith('HELO')) {
    return 'The server refused our greeting. Set a fully qualified HELO name under Advanced (heloName).'
  }
  return 'The server refused the session (see its reply in the transcript). Check that this host is allowed to use the relay.'
}

function configHint(ctx: HintContext): string {
  const { settings } = ctx
  if (settings.encryption === 'NONE' && settings.authEnabled) {
    return 'Credentials are never sent over an unencrypted connection to another host: choose TLS or SSL, or (only on a trusted network) turn on Allow Insecure Auth.'
  }
  return 'The settings cannot work together (for example AUTH or STARTTLS with EHLO turned off): turn Enable EHLO on, or change the encryption.'
}
