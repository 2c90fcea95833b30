import { useId, useRef, useState } from 'react'
import type { FormEvent, ReactNode } from 'react'
import { api, isRecord, problemText, str } from '../../api.js'
import type { FieldIssue, Problem } from '../../api.js'

interface Step {
  readonly step: string
  readonly ok: boolean
  readonly ms?: number
  readonly reply?: string
}
interface TranscriptEntry {
  readonly at?: number
  readonly dir?: string
  readonly line: string
}
interface TestResult {
  readonly ok: boolean
  readonly steps: readonly Step[]
  readonly transcript: readonly TranscriptEntry[]
  readonly error?: { readonly code?: string; readonly message?: string; readonly hint?: string }
}

const STEP_LABELS: Record<string, string> = {
  connect: 'Connect',
  greeting: 'Greeting',
  ehlo: 'EHLO',
  helo: 'HELO',
  starttls: 'STARTTLS',
  auth: 'AUTH',
  mail: 'MAIL FROM',
  rcpt: 'RCPT TO',
  data: 'DATA',
  quit: 'QUIT',
}

function asResult(data: unknown): TestResult | undefined {
  if (!isRecord(data) || typeof data.ok !== 'boolean') return undefined
  const steps = Array.isArray(data.steps) ? (data.steps as unknown[]).filter(isRecord) : []
  const transcript = Array.isArray(data.transcript) ? (data.transcript as unknown[]).filter(isRecord) : []
  return {
    ok: data.ok,
    steps: steps.map((s) => ({
      step: str(s.step ?? s.name) || '?',
      ok: s.ok === true,
      ...(typeof s.ms === 'number' ? { ms: s.ms } : {}),
      ...(typeof s.reply === 'string'
        ? { reply: s.reply }
        : isRecord(s.reply)
          ? { reply: `${str(s.reply.code)} ${str(s.reply.text)}`.trim() }
          : {}),
    })),
    transcript: transcript.map((t) => ({
      line: str(t.line),
      ...(typeof t.at === 'number' ? { at: t.at } : {}),
      ...(typeof t.dir === 'string' ? { dir: t.dir } : {}),
    })),
    ...(isRecord(data.error) ? { error: data.error } : {}),
  }
}

export interface TestMailProps {
  /** The unsaved form as a settings object, or undefined when the form has errors to fix first. */
  readonly collect: () => Record<string, unknown> | undefined
  readonly defaultTo: string
  /** Field errors of the unsaved form ('settings.port'), to show in place. */
  readonly onFieldErrors: (issues: readonly FieldIssue[]) => void
}

/** Send Test Mail: runs one whole session with the values on screen and shows every step. */
export function TestMail({ collect, defaultTo, onFieldErrors }: TestMailProps): ReactNode {
  const id = useId()
  const [to, setTo] = useState(defaultTo)
  const [running, setRunning] = useState(false)
  const [result, setResult] = useState<TestResult>()
  const [problem, setProblem] = useState<Problem>()
  const [formError, setFormError] = useState<string>()
  const resultRef = useRef<HTMLDivElement>(null)

  async function run(e: FormEvent): Promise<void> {
    e.preventDefault()
    setResult(undefined)
    setProblem(undefined)
    setFormError(undefined)
    const settings = collect()
    if (settings === undefined) {
      setFormError('Fix the highlighted fields first.')
      return
    }
    setRunning(true)
    const res = await api<unknown>('POST', '/api/v1/settings/email/test', { to, settings })
    setRunning(false)
    const parsed = asResult(res.ok ? res.data : res.problem.body)
    if (parsed !== undefined) setResult(parsed)
    else if (!res.ok) {
      setProblem(res.problem)
      const inForm = res.problem.errors.filter((i) => i.field.startsWith('settings.'))
      if (inForm.length > 0) onFieldErrors(inForm)
    }
    requestAnimationFrame(() => resultRef.current?.focus())
  }

  return (
    <section className="card test-mail" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Send Test Mail</h2>
      <p className="help">Sends one message with the settings on screen, without saving them.</p>
      <form className="inline-form" onSubmit={(e) => void run(e)}>
        <div className="field field-text">
          <label className="label" htmlFor={`${id}-to`}>
            Test recipient
          </label>
          <div className="control">
            <input
              id={`${id}-to`}
              name="testRecipient"
              type="email"
              required
              autoComplete="email"
              value={to}
              onChange={(e) => setTo(e.currentTarget.value)}
            />
          </div>
        </div>
        <button
          type="submit"
          className="button"
          disabled={running}
          aria-describedby={formError !== undefined ? `${id}-fe` : undefined}
        >
          {running ? 'Sending…' : 'Send Test Mail'}
        </button>
      </form>
      {formError !== undefined && (
        <p className="error" id={`${id}-fe`} role="alert">
          {formError}
        </p>
      )}
      <div className="test-output" ref={resultRef} tabIndex={-1} aria-live="polite" aria-busy={running}>
        {running && (
          <p className="progress" role="status">
            <span className="spinner" aria-hidden="true" /> Connecting to the server and sending…
          </p>
        )}
        {problem !== undefined && (
          <div className="alert alert-error" role="alert">
            {problemText(problem)}
            {problem.errors.length > 0 && (
              <ul>
                {problem.errors.map((e) => (
                  <li key={`${e.field}:${e.message}`}>
                    {e.field !== '' ? <strong>{e.field}: </strong> : null}
                    {e.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {result !== undefined && <TestResultView result={result} to={to} />}
      </div>
    </section>
  )
}

function TestResultView({ result, to }: { readonly result: TestResult; readonly to: string }): ReactNode {
  const failed = result.steps.find((s) => !s.ok)
  return (
    <div className={`test-result ${result.ok ? 'is-ok' : 'is-failed'}`} data-testid="test-result">
      <p className={`alert ${result.ok ? 'alert-ok' : 'alert-error'}`} role={result.ok ? 'status' : 'alert'}>
        {result.ok
          ? `Test mail accepted by the server for ${to}.`
          : `Test mail failed${failed !== undefined ? ` at ${STEP_LABELS[failed.step] ?? failed.step}` : ''}: ${result.error?.message ?? 'no details'}`}
        {result.error?.code !== undefined && <code className="code-badge">{result.error.code}</code>}
      </p>
      {result.error?.hint !== undefined && result.error.hint !== '' && (
        <p className="hint" data-testid="test-hint">
          <strong>What to try: </strong>
          {result.error.hint}
        </p>
      )}
      <ol className="steps" aria-label="SMTP steps">
        {result.steps.map((s, i) => (
          <li key={`${s.step}-${i}`} className={s.ok ? 'step-ok' : 'step-failed'}>
            <span className="step-icon" aria-hidden="true">
              {s.ok ? '✓' : '✗'}
            </span>
            <span className="step-name">{STEP_LABELS[s.step] ?? s.step}</span>
            <span className="visually-hidden">{s.ok ? ' succeeded' : ' failed'}</span>
            {s.ms !== undefined && <span className="step-ms">{Math.round(s.ms)} ms</span>}
            {s.reply !== undefined && s.reply !== '' && <code className="step-reply">{s.reply}</code>}
          </li>
        ))}
      </ol>
      <details className="transcript">
        <summary>Full transcript ({result.transcript.length} lines)</summary>
        <pre data-testid="transcript">
          {result.transcript
            .map(
              (t) =>
                `${t.at !== undefined ? `${String(Math.round(t.at)).padStart(5)} ms ` : ''}${t.dir !== undefined ? `${t.dir}: ` : ''}${t.line}`,
            )
            .join('\n')}
        </pre>
      </details>
    </div>
  )
}
