import type { EmailSettings } from './schema.js'

/** The settings a preset fills in; everything else keeps the form's current value. */
export type PresetSettings = Pick<
  EmailSettings,
  'host' | 'port' | 'encryption' | 'startTls' | 'authEnabled' | 'authMethod' | 'rateLimitPerMinute'
> &
  Partial<Pick<EmailSettings, 'username' | 'maxMessagesPerConnection' | 'maxMessageBytes'>> & {
    readonly oauth2?: Pick<EmailSettings['oauth2'], 'tokenUrl' | 'scope'>
  }

export interface ProviderPreset {
  readonly id: string
  readonly label: string
  readonly settings: PresetSettings
  /** What the provider publishes about its limits and login, and what the operator must still do. */
  readonly note: string
  /** The provider's page the note cites. */
  readonly docsUrl: string
}

/**
 * Provider presets for the E-Mail form (issue 7): host, port, encryption, auth method and a rate
 * limit under the provider's published one. Limits change; each note says where they come from
 * and was written from the provider's documentation as published in 2025–2026.
 */
export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  {
    id: 'gmail',
    label: 'Gmail / Google Workspace',
    settings: {
      host: 'smtp.gmail.com', port: 587, encryption: 'TLS', startTls: true,
      authEnabled: true, authMethod: 'AUTO', rateLimitPerMinute: 20,
    },
    note:
      'Google publishes daily, not per-minute, limits: about 500 recipients a day for a personal Gmail account ' +
      'and 2,000 messages a day per Google Workspace user ("Gmail sending limits in Google Workspace"), counted over ' +
      'a rolling 24 hours; over the limit the account cannot send for up to 24 hours. Google no longer accepts the ' +
      'account password over SMTP: turn on 2-Step Verification and use an App Password (or XOAUTH2). ' +
      'The 20 per minute here only spreads an alert storm out; group alerts so a storm does not exhaust the daily quota.',
    docsUrl: 'https://support.google.com/a/answer/166852',
  },
  {
    id: 'microsoft-365',
    label: 'Microsoft 365 (Exchange Online, OAuth2)',
    settings: {
      host: 'smtp.office365.com', port: 587, encryption: 'TLS', startTls: true,
      authEnabled: true, authMethod: 'XOAUTH2', rateLimitPerMinute: 30,
      oauth2: {
        tokenUrl: 'https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token',
        scope: 'https://outlook.office365.com/.default',
      },
    },
    note:
      'Exchange Online limits (Microsoft Learn, "Exchange Online limits"): 30 messages per minute for SMTP client ' +
      'submission, 10,000 recipients per day, 500 recipients per message. Microsoft is retiring basic (password) ' +
      'authentication for SMTP AUTH client submission, so this preset uses XOAUTH2 with the client-credentials grant: ' +
      'register an app in Entra ID, grant it SMTP.SendAsApp, register its service principal in Exchange, and replace ' +
      '<tenant-id> in the token URL. Email Address is the mailbox the app sends as.',
    docsUrl: 'https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits',
  },
  {
    id: 'amazon-ses',
    label: 'Amazon SES',
    settings: {
      host: 'email-smtp.us-east-1.amazonaws.com', port: 587, encryption: 'TLS', startTls: true,
      authEnabled: true, authMethod: 'AUTO', rateLimitPerMinute: 60,
    },
    note:
      'Amazon SES quotas (Developer Guide, "Service quotas in Amazon SES") are per account and Region: in the sandbox ' +
      '200 messages per 24 hours and 1 message per second, only to verified addresses; in production the quota ' +
      'depends on your account (see the SES console). Maximum message size over SMTP is 40 MB. Log in with SES SMTP ' +
      'credentials (not your AWS access keys) and change the Region in the host name. 60 per minute matches the ' +
      'sandbox rate; raise it to your production quota.',
    docsUrl: 'https://docs.aws.amazon.com/ses/latest/dg/quotas.html',
  },
  {
    id: 'sendgrid',
    label: 'SendGrid (Twilio)',
    settings: {
      host: 'smtp.sendgrid.net', port: 587, encryption: 'TLS', startTls: true,
      authEnabled: true, authMethod: 'AUTO', rateLimitPerMinute: 0, username: 'apikey',
      maxMessagesPerConnection: 5000,
    },
    note:
      'SendGrid\'s SMTP limits ("Integrating with the SMTP API"): up to 5,000 messages per SMTP connection and up to ' +
      '10,000 concurrent connections from one server; the daily volume is your plan\'s (the free plan allows 100 ' +
      'e-mails a day). The username is the literal string "apikey" and the password is an API key with Mail Send ' +
      'permission. Set From Address to a verified sender. No per-minute limit is published, hence 0 (unlimited).',
    docsUrl: 'https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api',
  },
  {
    id: 'mailgun',
    label: 'Mailgun',
    settings: {
      host: 'smtp.mailgun.org', port: 587, encryption: 'TLS', startTls: true,
      authEnabled: true, authMethod: 'AUTO', rateLimitPerMinute: 0,
    },
    note:
      'Mailgun listens on 25, 587 and 2525 (STARTTLS) and 465 (implicit TLS); use smtp.eu.mailgun.org for an EU ' +
      'domain. Log in with the sending domain\'s SMTP credentials (e.g. postmaster@mg.example.com), not the API key. ' +
      'A sandbox domain, or a free account without a card, delivers only to up to 5 authorized recipients ' +
      '("Authorized Recipients"); otherwise the volume is your plan\'s. No per-minute limit is published, hence 0.',
    docsUrl: 'https://help.mailgun.com/hc/en-us/articles/217531258-Authorized-Recipients',
  },
  {
    id: 'local-postfix',
    label: 'Local Postfix relay',
    settings: {
      host: '127.0.0.1', port: 25, encryption: 'NONE', startTls: true,
      authEnabled: false, authMethod: 'AUTO', rateLimitPerMinute: 0,
    },
    note:
      'A Postfix on this machine (or the local network) that relays onward; it queues and retries on its own. ' +
      'Postfix\'s limits are yours to set: message_size_limit defaults to 10,240,000 bytes (advertised as SIZE) and ' +
      'smtpd_client_message_rate_limit to 0 (no limit) (postconf(5)). Loopback needs no authentication; for a relay ' +
      'on another host turn on Enable Auth and encryption TLS.',
    docsUrl: 'https://www.postfix.org/postconf.5.html#message_size_limit',
  },
]
