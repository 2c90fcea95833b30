import { useId, useState } from 'react'
import type { ReactNode } from 'react'
import type { FieldIssue } from '../../api.js'
import { SchemaField } from '../../components/schema-field.js'
import type { FieldDef } from '../../schema.js'
import { SEED_ORDER, getPath } from '../../schema.js'
import { dependencyOf } from './dependencies.js'
import type { Preset } from './form-state.js'
import { TemplatePreview } from './template-preview.js'

type Issues = Readonly<Record<string, readonly string[]>>

export interface SettingsSectionsProps {
  readonly presets: readonly Preset[]
  readonly fields: readonly FieldDef[]
  readonly values: Record<string, unknown>
  readonly drafts: Readonly<Record<string, string>>
  readonly secrets: Readonly<Record<string, string>>
  readonly secretsSet: Readonly<Record<string, boolean>>
  readonly errors: Issues
  readonly warnings: Issues
  readonly portNote: { text: string; suggested: number | undefined } | undefined
  readonly onChange: (path: string, value: unknown, raw?: string) => void
  readonly onUsePort: (port: number) => void
  readonly onPreset: (values: Record<string, unknown>) => void
  readonly collectForPreview: () => Record<string, unknown>
  readonly onPreviewIssues: (issues: readonly FieldIssue[]) => void
  readonly advancedOpen: boolean
  readonly onAdvancedToggle: (open: boolean) => void
}

interface Section {
  readonly name: string
  readonly fields: FieldDef[]
}

function sectionsOf(fields: readonly FieldDef[]): { main: Section; advanced: Section[] } {
  const seed = new Set<string>(SEED_ORDER)
  const mainName = fields.find((f) => seed.has(f.path))?.section ?? 'E-Mail'
  const main: Section = { name: mainName, fields: [] }
  const advanced = new Map<string, Section>()
  for (const f of fields) {
    if (f.section === mainName) main.fields.push(f)
    else {
      const s = advanced.get(f.section) ?? { name: f.section, fields: [] }
      s.fields.push(f)
      advanced.set(f.section, s)
    }
  }
  return { main, advanced: [...advanced.values()] }
}

/** The form body: the seed's fields in the seed's order, then the Advanced section. */
export function SettingsSections(props: SettingsSectionsProps): ReactNode {
  const { main, advanced } = sectionsOf(props.fields)
  const id = useId()
  return (
    <>
      <section className="card" aria-labelledby={`${id}-main`}>
        <h2 id={`${id}-main`}>E-Mail Settings</h2>
        <div className="fields">{main.fields.map((f) => renderField(f, props))}</div>
      </section>
      <section className="card advanced" aria-labelledby={`${id}-adv`}>
        <div className="section-head">
          <h2 id={`${id}-adv`}>Advanced</h2>
          <button
            type="button"
            className="button button-secondary button-small"
            aria-expanded={props.advancedOpen}
            aria-controls={`${id}-adv-body`}
            onClick={() => props.onAdvancedToggle(!props.advancedOpen)}
          >
            <span aria-hidden="true">{props.advancedOpen ? '▾ ' : '▸ '}</span>
            Advanced settings
          </button>
        </div>
        <p className="summary-help">
          Sender, TLS, authentication method and OAuth2, connection and rate limits, retry policy, templates,
          provider presets.
        </p>
        <div id={`${id}-adv-body`} hidden={!props.advancedOpen}>
          <Presets presets={props.presets} onApply={props.onPreset} />
          {advanced.map((s) => (
            <div key={s.name} className="subsection">
              {!/^advanced$/i.test(s.name) && <h3>{titleCase(s.name)}</h3>}
              {renderGroups(s.fields, props)}
            </div>
          ))}
        </div>
      </section>
    </>
  )
}

function renderGroups(fields: readonly FieldDef[], props: SettingsSectionsProps): ReactNode[] {
  const out: ReactNode[] = []
  let i = 0
  while (i < fields.length) {
    const f = fields[i]
    if (f === undefined) break
    if (f.group === undefined) {
      out.push(renderField(f, props))
      i++
      continue
    }
    const groupFields: FieldDef[] = []
    const prefix = f.path.slice(0, f.path.lastIndexOf('.'))
    while (i < fields.length && fields[i]?.group === f.group && fields[i]?.path.startsWith(`${prefix}.`)) {
      groupFields.push(fields[i] as FieldDef)
      i++
    }
    out.push(
      <fieldset key={prefix} className="group" data-group={prefix}>
        <legend>{f.group}</legend>
        <div className="fields">{groupFields.map((g) => renderField(g, props))}</div>
        {prefix === 'templates' && (
          <TemplatePreview collect={props.collectForPreview} onIssues={props.onPreviewIssues} />
        )}
      </fieldset>,
    )
  }
  return out
}

function renderField(f: FieldDef, props: SettingsSectionsProps): ReactNode {
  const dep = dependencyOf(f.path, props.values)
  let note: ReactNode = dep.note
  if (f.path === 'port' && props.portNote !== undefined) {
    const suggested = props.portNote.suggested
    note = (
      <>
        {props.portNote.text}{' '}
        {suggested !== undefined && (
          <button type="button" className="link-button" onClick={() => props.onUsePort(suggested)}>
            Use {suggested}
          </button>
        )}
      </>
    )
  }
  return (
    <SchemaField
      key={f.path}
      field={f}
      value={getPath(props.values, f.path)}
      draft={props.drafts[f.path]}
      onChange={(value, raw) => props.onChange(f.path, value, raw)}
      disabled={dep.disabled}
      note={note}
      errors={props.errors[f.path] ?? []}
      warnings={props.warnings[f.path] ?? []}
      secretSet={props.secretsSet[f.path] === true}
      secretTyped={props.secrets[f.path] ?? ''}
    />
  )
}

function Presets({
  presets,
  onApply,
}: {
  readonly presets: readonly Preset[]
  readonly onApply: (v: Record<string, unknown>) => void
}): ReactNode {
  const id = useId()
  const [chosen, setChosen] = useState('')
  const preset = presets.find((p) => p.name === chosen)
  return (
    <div className="presets">
      <div className="field field-select">
        <label className="label" htmlFor={`${id}-preset`}>
          Provider preset
        </label>
        <div className="control">
          <span className="inline-controls">
            <select
              id={`${id}-preset`}
              value={chosen}
              onChange={(e) => setChosen(e.currentTarget.value)}
              aria-describedby={`${id}-preset-help`}
            >
              <option value="">Choose a provider…</option>
              {presets.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="button button-secondary"
              disabled={preset === undefined}
              onClick={() => preset !== undefined && onApply(preset.values)}
            >
              Apply preset
            </button>
          </span>
          <p className="help" id={`${id}-preset-help`}>
            {preset?.description !== undefined && preset.description !== ''
              ? preset.description
              : 'Fills in the server, port and encryption for a known provider. Nothing is saved until Save Changes.'}
          </p>
        </div>
      </div>
    </div>
  )
}

function titleCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
