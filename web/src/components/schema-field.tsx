import type { ReactNode } from 'react'
import type { FieldDef } from '../schema.js'

export interface SchemaFieldProps {
  readonly field: FieldDef
  readonly value: unknown
  /** Raw text of a number input while it is being typed (may not parse yet). */
  readonly draft?: string | undefined
  readonly onChange: (value: unknown, raw?: string) => void
  readonly disabled?: boolean
  /** Why the field is disabled or locked, or what was suggested. */
  readonly note?: ReactNode
  readonly errors?: readonly string[]
  readonly warnings?: readonly string[]
  /** For write-only fields: whether the server holds a value. */
  readonly secretSet?: boolean
  /** For write-only fields: what has been typed (never the stored value). */
  readonly secretTyped?: string
}

export function fieldId(path: string): string {
  return `f-${path.replace(/\./g, '-')}`
}

/** One settings input drawn from its schema: label, help, unit, and its notes, errors and warnings beside it. */
export function SchemaField(props: SchemaFieldProps): ReactNode {
  const { field, value, disabled = false, note, errors = [], warnings = [] } = props
  const id = fieldId(field.path)
  const describedBy = [
    field.description !== '' ? `${id}-help` : '',
    note !== undefined && note !== null && note !== false ? `${id}-note` : '',
    field.kind === 'secret' ? `${id}-status` : '',
    errors.length > 0 ? `${id}-error` : '',
    warnings.length > 0 ? `${id}-warning` : '',
  ]
    .filter((s) => s !== '')
    .join(' ')
  const common = {
    id,
    name: field.path,
    disabled,
    'aria-describedby': describedBy === '' ? undefined : describedBy,
    'aria-invalid': errors.length > 0 ? true : undefined,
  } as const

  let control: ReactNode
  switch (field.kind) {
    case 'boolean':
      control = (
        <input
          {...common}
          type="checkbox"
          className="switch"
          checked={value === true}
          onChange={(e) => props.onChange(e.currentTarget.checked)}
        />
      )
      break
    case 'select':
      control = (
        <select
          {...common}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        >
          {field.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      )
      break
    case 'multi': {
      const selected = Array.isArray(value) ? (value as unknown[]).map(String) : []
      control = (
        <div
          className="checks"
          role="group"
          aria-labelledby={`${id}-label`}
          aria-describedby={common['aria-describedby']}
          id={id}
        >
          {field.options.map((o) => (
            <label key={o} className="check">
              <input
                type="checkbox"
                name={field.path}
                value={o}
                disabled={disabled}
                checked={selected.includes(o)}
                onChange={(e) => props.onChange(toggle(selected, o, e.currentTarget.checked))}
              />
              {o}
            </label>
          ))}
        </div>
      )
      break
    }
    case 'integer':
    case 'number':
      control = (
        <span className="with-unit">
          <input
            {...common}
            type="text"
            inputMode="numeric"
            value={props.draft ?? (typeof value === 'number' ? String(value) : '')}
            onChange={(e) => {
              const raw = e.currentTarget.value
              const n = Number(raw)
              props.onChange(raw.trim() !== '' && Number.isFinite(n) ? n : raw, raw)
            }}
          />
          {field.unit !== undefined && (
            <span className="unit" aria-hidden="true">
              {field.unit}
            </span>
          )}
        </span>
      )
      break
    case 'secret':
      control = (
        <input
          {...common}
          type="password"
          autoComplete="new-password"
          placeholder={props.secretSet === true ? '•••••••• (unchanged)' : ''}
          value={props.secretTyped ?? ''}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        />
      )
      break
    case 'textarea':
      control = (
        <textarea
          {...common}
          rows={field.path === 'tlsCa' ? 6 : 4}
          spellCheck={false}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        />
      )
      break
    default:
      control = (
        <input
          {...common}
          type="text"
          spellCheck={false}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        />
      )
  }

  const label =
    field.kind === 'multi' ? (
      <span className="label" id={`${id}-label`}>
        {field.title}
      </span>
    ) : (
      <label className="label" htmlFor={id} id={`${id}-label`}>
        {field.title}
        {field.unit !== undefined && <span className="visually-hidden"> ({unitWords(field.unit)})</span>}
      </label>
    )

  return (
    <div
      className={`field field-${field.kind}${disabled ? ' is-disabled' : ''}${errors.length > 0 ? ' has-error' : ''}`}
      data-field={field.path}
    >
      {label}
      <div className="control">
        {control}
        {field.kind === 'secret' && (
          <p className="secret-status" id={`${id}-status`}>
            {props.secretSet === true ? (
              <span className="badge badge-ok">set</span>
            ) : (
              <span className="badge badge-muted">not set</span>
            )}{' '}
            {props.secretSet === true
              ? 'Stored encrypted. Type a new one only to replace it.'
              : 'Nothing stored yet.'}
          </p>
        )}
        {field.description !== '' && (
          <p className="help" id={`${id}-help`}>
            {field.description}
          </p>
        )}
        {note !== undefined && note !== null && note !== false && (
          <p className="note" id={`${id}-note`}>
            {note}
          </p>
        )}
        {errors.length > 0 && (
          <p className="error" id={`${id}-error`}>
            {errors.join(' ')}
          </p>
        )}
        {warnings.length > 0 && (
          <p className="warning" id={`${id}-warning`}>
            <span aria-hidden="true">⚠ </span>
            {warnings.join(' ')}
          </p>
        )}
      </div>
    </div>
  )
}

function toggle(selected: readonly string[], option: string, on: boolean): string[] {
  if (!on) return selected.filter((s) => s !== option)
  // RFC 3461 §4.1: NEVER cannot be combined with SUCCESS/FAILURE/DELAY.
  if (option === 'NEVER') return ['NEVER']
  return [...selected.filter((s) => s !== 'NEVER' && s !== option), option]
}

function unitWords(unit: string): string {
  return unit === 'ms' ? 'milliseconds' : unit === 's' ? 'seconds' : unit
}
