/** A validation problem named by its field, the same shape settings/ uses ('[3].severity', 'alerts[0].status'). */
export interface FieldIssue {
  readonly field: string
  readonly message: string
}

/** Joins a path: ('', 'severity') → 'severity'; ('[3]', 'severity') → '[3].severity'; ('a', 0) → 'a[0]'. */
export function fieldPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`
  return base === '' ? key : `${base}.${key}`
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
