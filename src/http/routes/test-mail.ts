import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { composeMessage } from '../../mime/index.js'
import type { Store } from '../../outbox/index.js'
import { mayReuseStoredSecrets, readSecrets, smtpOptionsFromSettings, validateEmailSettings } from '../../settings/index.js'
import type { EmailSettings } from '../../settings/index.js'
import { sendWithReport } from '../../smtp/index.js'
import type { Step, TranscriptEntry } from '../../smtp/index.js'
import { hintFor } from '../hints.js'
import type { MailHealth } from '../mail-health.js'
import { validationProblem } from '../problem.js'
import { loadSaved, stripReadOnly, type SavedSettings } from '../settings-view.js'
import type { SecretSealer } from './settings.js'
import { SETTINGS_BODY_LIMIT } from './settings.js'

const TestMailBody = Type.Object(
  {
    to: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s<>"]+@[^\\s<>"@]+$', title: 'Recipient of the test mail' }),
    settings: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'The unsaved form (same shape as PUT /settings/email); absent: the saved settings' })),
  },
  { additionalProperties: false },
)

export interface TestMailError {
  readonly code: string
  readonly message: string
  readonly hint: string
  readonly command?: string
  readonly reply?: { readonly code: number; readonly enhanced?: string; readonly text: string }
}

export interface TestMailReport {
  readonly ok: boolean
  readonly steps: readonly Step[]
  readonly transcript: readonly TranscriptEntry[]
  readonly messageId?: string
  readonly error?: TestMailError
}

export interface TestMailRoutesOptions {
  readonly store: Store
  readonly secrets: SecretSealer
  readonly mailHealth: MailHealth
  readonly timeoutMs: number
}

/**
 * Send Test Mail (issue 3 §6): one whole SMTP session with the *unsaved* settings, reported step
 * by step. The stored password goes only where it was saved for (same host, port, encryption and
 * username); otherwise the form must carry one, or nothing is sent — not even a connection.
 */
export async function testMailRoutes(fastify: FastifyInstance, opts: TestMailRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.post(
    '/settings/email/test',
    { bodyLimit: SETTINGS_BODY_LIMIT, schema: { tags: ['settings'], summary: 'Send Test Mail with the unsaved settings', body: TestMailBody } },
    async (request): Promise<TestMailReport> => {
      const saved = await loadSaved(opts.store)
      const { to } = request.body
      const candidate = candidateSettings(request.body.settings, saved)

      const secrets = chooseSecrets(saved, candidate, opts.secrets)
      if ('error' in secrets) return failedBeforeConnecting(secrets.error)

      const from = candidate.fromAddress || candidate.username
      if (!from) {
        throw validationProblem([{ field: 'settings.fromAddress', message: 'is required to send a test mail (or set Email Address)' }])
      }
      const message = await composeMessage({
        from,
        fromName: candidate.fromName || candidate.applianceName,
        to: [to],
        subject: `Test mail from ${candidate.applianceName}`,
        text:
          `This is a test mail from ${candidate.applianceName}.\r\n\r\n` +
          `If you can read it, the relay ${candidate.host}:${candidate.port} (${candidate.encryption}) accepted it for delivery.\r\n`,
        allow8bit: false,
      })
      const smtp = smtpOptionsFromSettings(candidate, secrets.value)
      const report = await sendWithReport(smtp, { from, to: [to] }, message.raw, { signal: AbortSignal.timeout(opts.timeoutMs) })

      const transcript = scrub(report.transcript, [secrets.value.password, secrets.value.clientSecret], candidate.username)
      request.log.info({ ok: report.ok, code: report.error?.code, steps: report.steps.length }, 'test mail sent')
      if (report.ok) {
        return { ok: true, steps: report.steps, transcript, messageId: message.messageId }
      }
      const err = report.error ?? { code: 'ERR_SMTP_PROTOCOL' as const, message: 'The test failed.', retry: 'transient' as const }
      return {
        ok: false,
        steps: report.steps,
        transcript,
        error: {
          code: err.code,
          message: err.message,
          hint: hintFor({ error: err, steps: report.steps, settings: candidate }),
          ...(err.command ? { command: err.command } : {}),
          ...(err.reply ? { reply: err.reply } : {}),
        },
      }
    },
  )
}

function candidateSettings(form: Record<string, unknown> | undefined, saved: SavedSettings): EmailSettings {
  if (form === undefined) return saved.settings
  const checked = validateEmailSettings(stripReadOnly({ ...form }))
  if (!checked.ok) throw validationProblem(checked.errors.map((e) => ({ field: `settings.${e.field}`, message: e.message })))
  if (!checked.value.host) throw validationProblem([{ field: 'settings.host', message: 'is required to send a test mail' }])
  return checked.value
}

type Chosen = { value: { password?: string; clientSecret?: string } } | { error: { code: string; message: string; hint: string } }

function chooseSecrets(saved: SavedSettings, candidate: EmailSettings, box: SecretSealer): Chosen {
  if (!candidate.authEnabled) return { value: {} }
  const typed = readSecrets(candidate)
  const reuse = mayReuseStoredSecrets(saved.settings, candidate)
  const oauth = candidate.authMethod === 'XOAUTH2'
  const key = oauth ? 'oauth2.clientSecret' : 'password'
  const typedValue = oauth ? typed.clientSecret : typed.password
  if (typedValue !== undefined) return { value: oauth ? { clientSecret: typedValue } : { password: typedValue } }
  const stored = saved.sealed[key]
  const mayReuse = oauth ? reuse.clientSecret : reuse.password
  const what = oauth ? 'client secret' : 'password'
  if (stored !== undefined && mayReuse) {
    let value: string
    try {
      value = box.unseal(stored)
    } catch {
      return {
        error: {
          code: 'ERR_CONFIG_SECRET_UNSEAL',
          message: `The saved ${what} cannot be decrypted: it was sealed with another secret key (ALERTMAIL_SECRET_KEY or the key file changed).`,
          hint: `Enter the ${what} again, test, and save it.`,
        },
      }
    }
    return { value: oauth ? { clientSecret: value } : { password: value } }
  }
  return {
    error: stored === undefined
      ? { code: 'ERR_TEST_SECRET_MISSING', message: `Enable Auth is on but no ${what} is saved or entered.`, hint: `Enter the ${what} in the form and try again.` }
      : {
          code: 'ERR_TEST_SECRET_REQUIRED',
          message: `The saved ${what} is only sent to the server it was saved for; the server, port, encryption or username in the form differ.`,
          hint: `Enter the ${what} for this server in the form to test it. Nothing was sent.`,
        },
  }
}

function failedBeforeConnecting(error: TestMailError): TestMailReport {
  return { ok: false, steps: [], transcript: [], error }
}

/**
 * Defence in depth: the SMTP client already redacts AUTH, but a secret must never leave in a
 * transcript even if a server echoes it back, in clear or base64 (AUTH PLAIN/LOGIN encodings).
 */
function scrub(transcript: readonly TranscriptEntry[], secrets: readonly (string | undefined)[], username: string): TranscriptEntry[] {
  const needles = secrets
    .filter((s): s is string => typeof s === 'string' && s.length >= 3)
    // RFC 4616 PLAIN: base64 of authzid NUL authcid NUL passwd; RFC LOGIN: base64 of the password alone.
    .flatMap((s) => [s, Buffer.from(s).toString('base64'), Buffer.from(`\0${username}\0${s}`).toString('base64')])
  if (needles.length === 0) return [...transcript]
  return transcript.map((e) => (needles.some((n) => e.line.includes(n)) ? { ...e, line: needles.reduce((l, n) => l.split(n).join('***'), e.line) } : e))
}
