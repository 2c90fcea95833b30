/**
 * Mail templates with LiquidJS (issue 4 item 5): logic-less enough to be safe in an administrator's
 * hands. No file system (includes, renders and layouts are refused), strict filters and variables
 * (a typo is a validation error), own properties only, and parse/render/memory limits against loops
 * that never end. HTML output is escaped by default; the subject is collapsed to one line so a value
 * with CR/LF can never inject a header (RFC 5322 §2.2: header fields end at CRLF).
 */
import { createRequire } from 'node:module'
import type * as LiquidJs from 'liquidjs'
import { buildContext, type ContextInput, type TemplateContext } from './context.js'
import { DEFAULT_HTML_TEMPLATE, DEFAULT_SUBJECT_TEMPLATE, DEFAULT_TEXT_TEMPLATE } from './default-templates.js'
import type { FieldIssue } from './field-issue.js'
import type { DecisionKind } from './grouping.js'

export interface Templates {
  /** '' = the built-in template. */
  readonly subject: string
  readonly text: string
  readonly html: string
}

export interface RenderedMail {
  readonly subject: string
  readonly text: string
  readonly html: string
}

/** Source size limits (characters), the same as the settings schema's. */
export const TEMPLATE_LIMITS = { subject: 998, text: 65_536, html: 262_144 } as const
/** The rendered subject is cut here: long enough for any alert, short enough for a phone. */
export const MAX_SUBJECT_LENGTH = 250

const FIELDS = ['subject', 'text', 'html'] as const
type Field = (typeof FIELDS)[number]

const DEFAULTS: Readonly<Record<Field, string>> = {
  subject: DEFAULT_SUBJECT_TEMPLATE,
  text: DEFAULT_TEXT_TEMPLATE,
  html: DEFAULT_HTML_TEMPLATE,
}

const common = {
  strictFilters: true,
  strictVariables: true,
  ownPropertyOnly: true,
  // An empty in-memory file system: {% include %}, {% render %} and {% layout %} find nothing.
  templates: {},
  relativeReference: false,
  parseLimit: 300_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
  cache: false,
} as const

/**
 * LiquidJS is loaded on the first render or validation, not when the service starts: an idle service
 * renders nothing (idle RSS, issue 8). The package is CommonJS, so a synchronous require keeps every
 * render synchronous and on this one path.
 */
const requireCjs = createRequire(import.meta.url)
let engines: Readonly<Record<Field, LiquidJs.Liquid>> | undefined

function engine(field: Field): LiquidJs.Liquid {
  if (engines === undefined) {
    const { Liquid } = requireCjs('liquidjs') as typeof LiquidJs
    engines = { subject: new Liquid(common), text: new Liquid(common), html: new Liquid({ ...common, outputEscape: 'escape' }) }
  }
  return engines[field]
}

/**
 * Compiled templates by field, then by source; administrators' templates change rarely. Keyed by the
 * source string itself (no `field + source` key built per render: hashing a new 6 KB string on every
 * lookup was a visible part of each render).
 */
const compiled: Readonly<Record<Field, Map<string, LiquidJs.Template[]>>> = { subject: new Map(), text: new Map(), html: new Map() }
const MAX_CACHED = 64

function compile(field: Field, source: string): LiquidJs.Template[] {
  const cache = compiled[field]
  let t = cache.get(source)
  if (t === undefined) {
    const refused = /\{%-?\s*(include|render|layout)\b/.exec(source)
    if (refused) throw new Error(`the ${refused[1]} tag is not allowed: templates cannot read files`)
    t = engine(field).parse(source)
    if (cache.size >= MAX_CACHED) cache.clear()
    cache.set(source, t)
  }
  return t
}

function sourceOf(templates: Partial<Templates> | undefined, field: Field): string {
  const s = templates?.[field]
  return s === undefined || s.trim() === '' ? DEFAULTS[field] : s
}

/** True when every field is the built-in template ('' or absent). */
export function isBuiltIn(templates: Partial<Templates> | undefined): boolean {
  return FIELDS.every((field) => sourceOf(templates, field) === DEFAULTS[field])
}

/** The root variables a template reads (LiquidJS static analysis), for tests of what a rendering depends on. */
export function templateVariables(field: Field, source: string): string[] {
  return engine(field).globalVariablesSync(compile(field, source))
}

/** One line, no control characters, at most MAX_SUBJECT_LENGTH characters. */
export function cleanSubject(s: string): string {
  // eslint-disable-next-line no-control-regex
  const line = s.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim()
  return line.length <= MAX_SUBJECT_LENGTH ? line : `${line.slice(0, MAX_SUBJECT_LENGTH - 1)}…`
}

function renderField(field: Field, source: string, context: TemplateContext): string {
  return engine(field).renderSync(compile(field, source), context) as string
}

/**
 * Renders one mail. Throws on a broken template; the Notifier falls back to the built-in one so an
 * administrator's mistake never loses an alert (templates are validated on save anyway).
 */
export function renderMail(context: TemplateContext, templates?: Partial<Templates>): RenderedMail {
  return {
    subject: cleanSubject(renderField('subject', sourceOf(templates, 'subject'), context)),
    text: renderField('text', sourceOf(templates, 'text'), context),
    html: renderField('html', sourceOf(templates, 'html'), context),
  }
}

/** Renders with the administrator's templates, falling back per field to the built-in ones on error. */
export function renderNotification(input: ContextInput, templates?: Partial<Templates>): RenderedMail {
  const context = buildContext(input)
  const out = {} as Record<Field, string>
  for (const field of FIELDS) {
    try {
      out[field] = renderField(field, sourceOf(templates, field), context)
    } catch {
      out[field] = renderField(field, DEFAULTS[field], context)
    }
  }
  return { subject: cleanSubject(out.subject), text: out.text, html: out.html }
}

export type ValidateTemplatesResult = { readonly ok: true } | { readonly ok: false; readonly errors: readonly FieldIssue[] }

/**
 * Checks administrator templates before they are saved: size, forbidden tags, syntax, and a render
 * of every kind of mail against sample data (which catches unknown variables and filters).
 * @example
 * validateTemplates({ subject: '[{{ severty }}] {{ title }}', text: '', html: '' })
 * // { ok: false, errors: [{ field: 'templates.subject', message: 'undefined variable: severty, line:1, col:2' }] }
 */
export function validateTemplates(templates: Partial<Templates>, fieldPrefix = 'templates'): ValidateTemplatesResult {
  const errors: FieldIssue[] = []
  for (const field of FIELDS) {
    const source: unknown = templates[field]
    const name = `${fieldPrefix}.${field}`
    if (source === undefined) continue
    if (typeof source !== 'string') {
      errors.push({ field: name, message: 'must be a string' })
      continue
    }
    if (source.trim() === '') continue
    if (source.length > TEMPLATE_LIMITS[field]) {
      errors.push({ field: name, message: `must be at most ${TEMPLATE_LIMITS[field]} characters (got ${source.length})` })
      continue
    }
    try {
      compile(field, source)
      for (const kind of SAMPLE_KINDS) renderField(field, source, buildContext(sampleInput(kind, kind === 'digest')))
    } catch (e) {
      errors.push({ field: name, message: errorMessage(e) })
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true }
}

export type PreviewResult = ({ readonly ok: true } & RenderedMail) | { readonly ok: false; readonly errors: readonly FieldIssue[] }

/**
 * Renders templates ('' = built-in) for a preview endpoint, with `sample` (or a built-in sample alert)
 * as the newest event.
 */
export function previewTemplates(
  templates: Partial<Templates>,
  sample?: Partial<ContextInput> & { readonly kind?: DecisionKind },
): PreviewResult {
  const checked = validateTemplates(templates)
  if (!checked.ok) return checked
  const base = sampleInput(sample?.kind ?? 'alert', sample?.isSupport ?? false)
  const input: ContextInput = { ...base, ...sample, kind: sample?.kind ?? base.kind }
  try {
    return { ok: true, ...renderMail(buildContext(input), templates) }
  } catch (e) {
    return { ok: false, errors: [{ field: 'templates', message: errorMessage(e) }] }
  }
}

const SAMPLE_KINDS: readonly DecisionKind[] = ['alert', 'digest', 'repeat', 'resolution']

/** A realistic sample: an attack on edge-3, with labels and a digest's top items. */
export function sampleInput(kind: DecisionKind, isSupport = false): ContextInput {
  const receivedAt = new Date('2026-11-27T21:43:12Z')
  const event = {
    severity: 'critical' as const,
    title: 'SYN flood towards 203.0.113.10:443',
    message: '1.2 Mpps of SYN packets; mitigation engaged on edge-3.',
    source: 'edge-3',
    category: 'ddos',
    labels: { site: 'fra1', vector: 'syn-flood', target: '203.0.113.10' },
    occurredAt: receivedAt,
    receivedAt,
    status: kind === 'resolution' ? ('resolved' as const) : ('firing' as const),
  }
  const many = kind === 'digest' || kind === 'repeat'
  return {
    kind,
    isSupport,
    severity: 'critical',
    events: [event],
    titles: many
      ? [
          { title: event.title, count: 301 },
          { title: 'UDP amplification (DNS) towards 203.0.113.12', count: 88 },
          { title: 'HTTP request flood on /login', count: 23 },
        ]
      : [{ title: event.title, count: 1 }],
    count: many ? 412 : 1,
    totalCount: many ? 413 : 1,
    periodMs: many ? 300_000 : null,
    source: 'edge-3',
    category: 'ddos',
    recipient: { name: 'Alex Operator', email: 'alex@example.com', timeZone: 'Europe/Berlin' },
    applianceName: 'edge-gw-01',
    consoleUrl: 'https://console.example.com/',
  }
}

function errorMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e)
  return m.split('\n')[0] ?? m
}
