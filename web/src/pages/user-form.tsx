import { useId, useMemo, useState } from 'react'
import type { FormEvent, ReactNode } from 'react'
import type { FieldIssue } from '../api.js'

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
export type Severity = (typeof SEVERITIES)[number]

export interface QuietHours {
  readonly start: string
  readonly end: string
  readonly timeZone: string
}

export interface User {
  readonly id: string | number
  readonly name: string
  readonly email: string
  readonly enabled: boolean
  readonly severities: readonly string[]
  readonly quietHours?: QuietHours | null
}

export type UserInput = Omit<User, 'id'>

export interface UserFormProps {
  readonly initial: User | undefined
  readonly issues: readonly FieldIssue[]
  readonly busy: boolean
  readonly onSubmit: (input: UserInput) => void
  readonly onCancel: () => void
}

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] }
  try {
    return intl.supportedValuesOf?.('timeZone') ?? ['UTC']
  } catch {
    return ['UTC']
  }
}

/** Add or edit one registered user: who, which severities reach them, and when to stay quiet. */
export function UserForm({ initial, issues, busy, onSubmit, onCancel }: UserFormProps): ReactNode {
  const id = useId()
  const zones = useMemo(timeZones, [])
  const [name, setName] = useState(initial?.name ?? '')
  const [email, setEmail] = useState(initial?.email ?? '')
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [severities, setSeverities] = useState<string[]>([...(initial?.severities ?? ['critical', 'high'])])
  const [quiet, setQuiet] = useState(initial?.quietHours !== undefined && initial.quietHours !== null)
  const [start, setStart] = useState(initial?.quietHours?.start ?? '22:00')
  const [end, setEnd] = useState(initial?.quietHours?.end ?? '07:00')
  const [timeZone, setTimeZone] = useState(
    initial?.quietHours?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
  )

  const errorOf = (field: string): string | undefined => {
    const found = issues.filter((i) => i.field === field || i.field.startsWith(`${field}.`))
    return found.length > 0 ? found.map((i) => i.message).join(' ') : undefined
  }
  const general = issues.filter(
    (i) =>
      !['name', 'email', 'severities', 'quietHours', 'enabled'].some(
        (f) => i.field === f || i.field.startsWith(`${f}.`),
      ),
  )

  function submit(e: FormEvent): void {
    e.preventDefault()
    const base = {
      name: name.trim(),
      email: email.trim(),
      enabled,
      severities: SEVERITIES.filter((s) => severities.includes(s)),
    }
    // POST takes no quietHours to mean none; PATCH needs null to clear them.
    if (quiet) onSubmit({ ...base, quietHours: { start, end, timeZone } })
    else onSubmit(initial === undefined ? base : { ...base, quietHours: null })
  }

  const text = (
    key: string,
    label: string,
    value: string,
    set: (v: string) => void,
    type = 'text',
  ): ReactNode => {
    const err = errorOf(key)
    return (
      <div className="field field-text">
        <label className="label" htmlFor={`${id}-${key}`}>
          {label}
        </label>
        <div className="control">
          <input
            id={`${id}-${key}`}
            name={key}
            type={type}
            required
            value={value}
            onChange={(e) => set(e.currentTarget.value)}
            aria-invalid={err !== undefined ? true : undefined}
            aria-describedby={err !== undefined ? `${id}-${key}-err` : undefined}
          />
          {err !== undefined && (
            <p className="error" id={`${id}-${key}-err`}>
              {err}
            </p>
          )}
        </div>
      </div>
    )
  }

  const sevErr = errorOf('severities')
  const quietErr = errorOf('quietHours')
  return (
    <form className="card user-form" onSubmit={submit} noValidate aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{initial === undefined ? 'Add user' : `Edit ${initial.name}`}</h2>
      {general.length > 0 && (
        <div className="alert alert-error" role="alert">
          {general.map((i) => (
            <div key={`${i.field}:${i.message}`}>{i.message}</div>
          ))}
        </div>
      )}
      <div className="fields">
        {text('name', 'Name', name, setName)}
        {text('email', 'E-mail address', email, setEmail, 'email')}
        <div className="field field-boolean">
          <label className="label" htmlFor={`${id}-enabled`}>
            Enabled
          </label>
          <div className="control">
            <input
              id={`${id}-enabled`}
              type="checkbox"
              className="switch"
              checked={enabled}
              onChange={(e) => setEnabled(e.currentTarget.checked)}
            />
          </div>
        </div>
        <fieldset
          className="field field-multi plain"
          aria-describedby={sevErr !== undefined ? `${id}-sev-err` : undefined}
        >
          <legend className="label">Severities</legend>
          <div className="control">
            <div className="checks">
              {SEVERITIES.map((s) => (
                <label key={s} className="check">
                  <input
                    type="checkbox"
                    name="severities"
                    value={s}
                    checked={severities.includes(s)}
                    onChange={(e) => {
                      // Read now: React clears currentTarget before a state updater runs.
                      const on = e.currentTarget.checked
                      setSeverities((prev) =>
                        on ? [...prev.filter((p) => p !== s), s] : prev.filter((p) => p !== s),
                      )
                    }}
                  />
                  <span className={`sev sev-${s}`}>{s}</span>
                </label>
              ))}
            </div>
            {sevErr !== undefined && (
              <p className="error" id={`${id}-sev-err`}>
                {sevErr}
              </p>
            )}
          </div>
        </fieldset>
        <fieldset className="field plain">
          <legend className="label">Quiet hours</legend>
          <div className="control">
            <label className="check">
              <input type="checkbox" checked={quiet} onChange={(e) => setQuiet(e.currentTarget.checked)} />{' '}
              Hold non-critical alerts during quiet hours
            </label>
            <div className="quiet-grid">
              <label htmlFor={`${id}-qs`}>Start</label>
              <input
                id={`${id}-qs`}
                type="time"
                value={start}
                disabled={!quiet}
                onChange={(e) => setStart(e.currentTarget.value)}
              />
              <label htmlFor={`${id}-qe`}>End</label>
              <input
                id={`${id}-qe`}
                type="time"
                value={end}
                disabled={!quiet}
                onChange={(e) => setEnd(e.currentTarget.value)}
              />
              <label htmlFor={`${id}-tz`}>Time zone</label>
              <input
                id={`${id}-tz`}
                list={`${id}-zones`}
                value={timeZone}
                disabled={!quiet}
                onChange={(e) => setTimeZone(e.currentTarget.value)}
              />
              <datalist id={`${id}-zones`}>
                {zones.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
            </div>
            {quietErr !== undefined && <p className="error">{quietErr}</p>}
          </div>
        </fieldset>
      </div>
      <div className="actions">
        <button type="submit" className="button" disabled={busy}>
          {initial === undefined ? 'Add user' : 'Save user'}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
