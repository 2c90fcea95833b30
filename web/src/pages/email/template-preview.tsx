import { useId, useState } from 'react'
import type { ReactNode } from 'react'
import { api, isRecord, problemText } from '../../api.js'
import type { FieldIssue, Problem } from '../../api.js'

/** The sample notifications the server can render (an alert, a digest, a repeat, a resolution). */
const KINDS = ['alert', 'digest', 'repeat', 'resolution'] as const

interface Preview {
  readonly subject: string
  readonly text: string
  readonly html: string
}

function asPreview(data: unknown): Preview | undefined {
  const body =
    isRecord(data) && isRecord(data.preview)
      ? data.preview
      : isRecord(data) && isRecord(data.rendered)
        ? data.rendered
        : data
  if (!isRecord(body)) return undefined
  return {
    subject: typeof body.subject === 'string' ? body.subject : '',
    text: typeof body.text === 'string' ? body.text : '',
    html: typeof body.html === 'string' ? body.html : '',
  }
}

/** Renders the templates on screen with a sample alert (POST /api/v1/templates/preview), unsaved. */
export function TemplatePreview({
  collect,
  onIssues,
}: {
  readonly collect: () => Record<string, unknown>
  /** Template errors ('templates.subject'), shown next to their field. */
  readonly onIssues: (issues: readonly FieldIssue[]) => void
}): ReactNode {
  const id = useId()
  const [preview, setPreview] = useState<Preview>()
  const [problem, setProblem] = useState<Problem>()
  const [busy, setBusy] = useState(false)
  const [kind, setKind] = useState<(typeof KINDS)[number]>('alert')

  async function run(): Promise<void> {
    setBusy(true)
    setProblem(undefined)
    const settings = collect()
    const templates = isRecord(settings.templates) ? settings.templates : {}
    const res = await api<unknown>('POST', '/api/v1/templates/preview', { templates, kind })
    setBusy(false)
    if (res.ok) setPreview(asPreview(res.data))
    else {
      setPreview(undefined)
      setProblem(res.problem)
      onIssues(res.problem.errors)
    }
  }

  return (
    <div className="template-preview">
      <div className="inline-controls">
        <label htmlFor={`${id}-kind`}>Sample</label>
        <select
          id={`${id}-kind`}
          value={kind}
          onChange={(e) => setKind(e.currentTarget.value as (typeof KINDS)[number])}
        >
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => void run()}
          disabled={busy}
          aria-controls={`${id}-out`}
        >
          {busy ? 'Rendering…' : 'Preview templates'}
        </button>
      </div>
      <div id={`${id}-out`} aria-live="polite">
        {problem !== undefined && (
          <div className="alert alert-error" role="alert">
            {problemText(problem)}
            {problem.errors.map((e) => (
              <div key={`${e.field}:${e.message}`}>
                {e.field}: {e.message}
              </div>
            ))}
          </div>
        )}
        {preview !== undefined && (
          <div className="preview-box">
            <p>
              <strong>Subject: </strong>
              {preview.subject}
            </p>
            <h4>Text part</h4>
            <pre>{preview.text}</pre>
            {preview.html !== '' && (
              <details>
                <summary>HTML part (source)</summary>
                <pre>{preview.html}</pre>
              </details>
            )}
          </div>
        )}
      </div>
    </div>
  )
}
