/**
 * Helpers of the E-Mail page: where field issues go, defaults under loaded values, focusing the
 * first field in error (opening its section first).
 */
import { isRecord } from '../../api.js'
import type { FieldIssue } from '../../api.js'
import { fieldId } from '../../components/schema-field.js'
import type { FieldDef } from '../../schema.js'

export type Issues = Record<string, string[]>

export function group(
  issues: readonly FieldIssue[],
  known: ReadonlySet<string>,
): { byField: Issues; other: string[] } {
  const byField: Issues = {}
  const other: string[] = []
  for (const issue of issues) {
    // A nested error may name the parent ('retry') or a child we render ('retry.maxAttempts').
    const path = known.has(issue.field)
      ? issue.field
      : [...known].find((k) => k.startsWith(`${issue.field}.`))
    if (path !== undefined && issue.field !== '') (byField[path] ??= []).push(issue.message)
    else other.push(issue.field !== '' ? `${issue.field}: ${issue.message}` : issue.message)
  }
  return { byField, other }
}

export function mergeDefaults(
  defaults: Record<string, unknown>,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults }
  for (const [key, value] of Object.entries(values)) {
    const base = out[key]
    out[key] = isRecord(base) && isRecord(value) ? { ...base, ...value } : value
  }
  return out
}

/** System → E-Mail: the seed page, drawn from the served schema, with Send Test Mail and Save Changes. */
export function focusFirst(paths: readonly string[], fields: readonly FieldDef[]): void {
  const first = fields.find((f) => paths.includes(f.path))
  if (first === undefined) return
  // The Advanced section opens on the next render when its fields have errors: try again until visible.
  let tries = 0
  const attempt = (): void => {
    const el = document.getElementById(fieldId(first.path))
    el?.focus()
    if (document.activeElement !== el && tries++ < 10) window.setTimeout(attempt, 30)
  }
  requestAnimationFrame(attempt)
}
