import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ReactNode } from 'react'
import { api, isRecord, problemText, str } from '../../api.js'
import type { FieldIssue, Problem } from '../../api.js'
import { defaultsOf, fieldsOf, setPath } from '../../schema.js'
import type { FieldDef, JsonSchema } from '../../schema.js'
import { changeEncryption } from './dependencies.js'
import type { FieldChange, LoadedSettings, Preset } from './form-state.js'
import { clientErrors, diffValues, fromResponse, payloadOf, presetsOf } from './form-state.js'
import { ConflictPanel } from './conflict.js'
import { SettingsSections } from './settings-sections.js'
import { TestMail } from './test-mail.js'

import { focusFirst, group, mergeDefaults } from './page-helpers.js'
import type { Issues } from './page-helpers.js'

export function EmailPage(): ReactNode {
  const [schema, setSchema] = useState<JsonSchema>()
  const [presets, setPresets] = useState<readonly Preset[]>([])
  const [loadProblem, setLoadProblem] = useState<Problem>()
  const [loaded, setLoaded] = useState<LoadedSettings>()
  const [values, setValues] = useState<Record<string, unknown>>({})
  const [drafts, setDrafts] = useState<Record<string, string>>({})
  const [secrets, setSecrets] = useState<Record<string, string>>({})
  const [errors, setErrors] = useState<Issues>({})
  const [warnings, setWarnings] = useState<Issues>({})
  const [otherIssues, setOtherIssues] = useState<string[]>([])
  const [portNote, setPortNote] = useState<{ text: string; suggested: number | undefined }>()
  const [status, setStatus] = useState<string>()
  const [saving, setSaving] = useState(false)
  const [advancedOpen, setAdvancedOpen] = useState(false)
  const [conflict, setConflict] = useState<{ changes: FieldChange[]; current: LoadedSettings }>()
  const statusRef = useRef<HTMLDivElement>(null)

  const fields = useMemo<FieldDef[]>(() => (schema === undefined ? [] : fieldsOf(schema)), [schema])
  const known = useMemo(() => new Set(fields.map((f) => f.path)), [fields])

  // An error or warning on an advanced field must be seen: open the section when one arrives.
  useEffect(() => {
    const main = fields[0]?.section
    if (
      fields.some(
        (f) => f.section !== main && (errors[f.path] !== undefined || warnings[f.path] !== undefined),
      )
    )
      setAdvancedOpen(true)
  }, [fields, errors, warnings])

  const apply = useCallback((s: JsonSchema, l: LoadedSettings): void => {
    setLoaded(l)
    setValues(mergeDefaults(defaultsOf(s), l.values))
    setDrafts({})
    setSecrets({})
    setErrors({})
    setOtherIssues([])
    setPortNote(undefined)
    setConflict(undefined)
  }, [])

  const load = useCallback(async (): Promise<void> => {
    const [s, l] = await Promise.all([
      api<JsonSchema>('GET', '/api/v1/settings/email/schema'),
      api<unknown>('GET', '/api/v1/settings/email'),
    ])
    if (!s.ok) return setLoadProblem(s.problem)
    if (!l.ok) return setLoadProblem(l.problem)
    const root = isRecord(s.data) && isRecord(s.data.schema) ? (s.data.schema as JsonSchema) : s.data
    setSchema(root)
    setPresets(presetsOf(s.data, root))
    apply(root, fromResponse(l.data))
    const w = isRecord(l.data) ? l.data.warnings : undefined
    if (Array.isArray(w))
      setWarnings(group(w as FieldIssue[], new Set(fieldsOf(root).map((f) => f.path))).byField)
  }, [apply])

  useEffect(() => {
    void load()
  }, [load])

  const onChange = useCallback((path: string, value: unknown, raw?: string): void => {
    setStatus(undefined)
    setErrors((prev) => {
      if (prev[path] === undefined) return prev
      const { [path]: _gone, ...rest } = prev
      return rest
    })
    if (raw !== undefined) setDrafts((d) => ({ ...d, [path]: raw }))
    if (path === 'password' || path === 'oauth2.clientSecret') {
      setSecrets((s) => ({ ...s, [path]: String(value) }))
      return
    }
    if (path === 'encryption') {
      setValues((v) => {
        const change = changeEncryption(v, String(value))
        setPortNote(
          change.portNote === undefined
            ? undefined
            : { text: change.portNote, suggested: change.suggestedPort },
        )
        if (change.values.port !== v.port) setDrafts((d) => ({ ...d, port: str(change.values.port) }))
        return change.values
      })
      return
    }
    if (path === 'port') setPortNote(undefined)
    setValues((v) => setPath(v, path, value))
  }, [])

  /** Errors found by Send Test Mail or the template preview, shown in place like Save's. */
  function showFieldIssues(issues: readonly FieldIssue[]): void {
    const e = group(issues, known)
    setErrors(e.byField)
    if (Object.keys(e.byField).length > 0) focusFirst(Object.keys(e.byField), fields)
  }

  function collect(): Record<string, unknown> | undefined {
    const found = clientErrors(fields, drafts, values)
    if (Object.keys(found).length > 0) {
      setErrors(found)
      focusFirst(Object.keys(found), fields)
      return undefined
    }
    return payloadOf(fields, values, secrets)
  }

  async function save(): Promise<void> {
    setStatus(undefined)
    setOtherIssues([])
    const payload = collect()
    if (payload === undefined) {
      setStatus('Not saved: fix the highlighted fields.')
      return
    }
    setSaving(true)
    const res = await api<unknown>('PUT', '/api/v1/settings/email', { ...payload, version: loaded?.version })
    setSaving(false)
    if (res.ok) {
      const next = fromResponse(res.data)
      if (schema !== undefined) apply(schema, next)
      const w = isRecord(res.data) ? res.data.warnings : undefined
      const grouped = group(Array.isArray(w) ? (w as FieldIssue[]) : [], known)
      setWarnings(grouped.byField)
      setStatus(`Settings saved${next.version !== undefined ? ` (version ${str(next.version)})` : ''}.`)
      requestAnimationFrame(() => statusRef.current?.focus())
      return
    }
    if (res.status === 409) return onConflict(res.problem)
    const e = group(res.problem.errors, known)
    const w = group(res.problem.warnings, known)
    setErrors(e.byField)
    setWarnings(w.byField)
    setOtherIssues(e.other)
    setStatus(`Not saved: ${problemText(res.problem)}`)
    if (Object.keys(e.byField).length > 0) focusFirst(Object.keys(e.byField), fields)
    else requestAnimationFrame(() => statusRef.current?.focus())
  }

  async function onConflict(problem: Problem): Promise<void> {
    const b = problem.body
    let current: LoadedSettings | undefined
    const embedded = b.current ?? b.settings ?? b.currentSettings
    if (isRecord(embedded)) current = fromResponse(embedded)
    if (current === undefined || current.version === undefined) {
      const fresh = await api<unknown>('GET', '/api/v1/settings/email')
      if (fresh.ok) current = fromResponse(fresh.data)
    }
    if (current === undefined) {
      setStatus(`Not saved: ${problemText(problem)}`)
      return
    }
    const theirs = schema !== undefined ? mergeDefaults(defaultsOf(schema), current.values) : current.values
    setConflict({ changes: diffValues(fields, values, theirs), current })
    setStatus('Not saved: the settings changed on the server.')
  }

  if (loadProblem !== undefined) {
    return (
      <div className="alert alert-error" role="alert">
        Could not load the e-mail settings: {problemText(loadProblem)}{' '}
        <button
          type="button"
          className="button button-secondary"
          onClick={() => {
            setLoadProblem(undefined)
            void load()
          }}
        >
          Try again
        </button>
      </div>
    )
  }
  if (schema === undefined || loaded === undefined) return <p role="status">Loading e-mail settings…</p>

  const saved = status?.startsWith('Settings saved') === true
  return (
    <div className="email-page">
      <header className="page-header">
        <h1>E-Mail</h1>
        <p className="lead">
          Integration with your e-mail service over SMTP, used to send alerts and notifications to registered
          users.
        </p>
      </header>
      <form
        className="settings-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          void save()
        }}
      >
        <SettingsSections
          presets={presets}
          fields={fields}
          values={values}
          drafts={drafts}
          secrets={secrets}
          secretsSet={loaded.secretsSet}
          errors={errors}
          warnings={warnings}
          portNote={portNote}
          onChange={onChange}
          onUsePort={(port) => {
            onChange('port', port, String(port))
          }}
          onPreset={(presetValues) => {
            setValues((v) => Object.entries(presetValues).reduce((acc, [k, val]) => setPath(acc, k, val), v))
            setDrafts({})
            setStatus('Preset applied: review the fields, then Save Changes.')
          }}
          collectForPreview={() => payloadOf(fields, values, secrets)}
          onPreviewIssues={showFieldIssues}
          advancedOpen={advancedOpen}
          onAdvancedToggle={setAdvancedOpen}
        />
        {conflict !== undefined && (
          <ConflictPanel
            changes={conflict.changes}
            onReload={() => {
              apply(schema, conflict.current)
              setStatus('Reloaded the saved settings.')
            }}
            onOverwrite={() => {
              setLoaded({ ...loaded, version: conflict.current.version })
              setConflict(undefined)
              setStatus('Your edits are kept. Press Save Changes to overwrite the saved settings.')
            }}
          />
        )}
        <div className="action-bar">
          <div
            ref={statusRef}
            tabIndex={-1}
            role="status"
            className={`save-status ${saved ? 'is-ok' : status !== undefined ? 'is-error' : ''}`}
            data-testid="save-status"
          >
            {status}
            {otherIssues.length > 0 && (
              <ul>
                {otherIssues.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
          </div>
          <button type="submit" className="button" disabled={saving}>
            {saving ? 'Saving…' : 'Save Changes'}
          </button>
        </div>
      </form>
      <TestMail
        collect={collect}
        defaultTo=""
        onFieldErrors={(issues) =>
          showFieldIssues(
            issues.map((i) => ({ field: i.field.replace(/^settings\./, ''), message: i.message })),
          )
        }
      />
    </div>
  )
}
