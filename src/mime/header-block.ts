/**
 * Minimal RFC 5322 header reading for message/partial: where the header ends, its fields
 * verbatim (with folding and line ends kept), and RFC 2045 §5.1 Content-Type parameters.
 * Pure; works on bytes so nothing outside the header is ever decoded.
 */

export interface HeaderField {
  /** Field name as written. */
  readonly name: string
  /** The whole field as it appeared: name, colon, value, folded lines, line ends. */
  readonly raw: Buffer
}

export interface MessageParts {
  /** The header fields' bytes, including the line end of the last field. */
  readonly head: Buffer
  /** Everything after the empty line that ends the header (RFC 5322 §2.1). */
  readonly body: Buffer
}

/** Splits at the first empty line; a message without one is all header. */
export function splitMessage(raw: Buffer): MessageParts {
  if (raw[0] === 0x0a) return { head: raw.subarray(0, 0), body: raw.subarray(1) }
  if (raw[0] === 0x0d && raw[1] === 0x0a) return { head: raw.subarray(0, 0), body: raw.subarray(2) }
  let at = 0
  for (;;) {
    const lf = raw.indexOf(0x0a, at)
    if (lf < 0) return { head: raw, body: raw.subarray(raw.length) }
    const next = lf + 1
    if (raw[next] === 0x0a) return { head: raw.subarray(0, next), body: raw.subarray(next + 1) }
    if (raw[next] === 0x0d && raw[next + 1] === 0x0a) return { head: raw.subarray(0, next), body: raw.subarray(next + 2) }
    at = next
  }
}

/** The fields of a header block, continuation lines (starting with SP/HTAB) joined to theirs. */
export function parseFields(head: Buffer): HeaderField[] {
  const fields: { name: string; start: number; end: number }[] = []
  let at = 0
  while (at < head.length) {
    const lf = head.indexOf(0x0a, at)
    const end = lf < 0 ? head.length : lf + 1
    const first = head[at]
    const last = fields.at(-1)
    if ((first === 0x20 || first === 0x09) && last) {
      last.end = end
    } else {
      const colon = head.indexOf(0x3a, at)
      const name = colon >= 0 && colon < end ? head.toString('latin1', at, colon).trim() : ''
      fields.push({ name, start: at, end })
    }
    at = end
  }
  return fields.map((f) => ({ name: f.name, raw: head.subarray(f.start, f.end) }))
}

/** The unfolded value of a field (RFC 5322 §2.2.3), trimmed. */
export function fieldValue(field: HeaderField): string {
  const text = field.raw.toString('latin1')
  return text.slice(text.indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '').trim()
}

export interface ContentType {
  /** Lower-cased `type/subtype`. */
  readonly type: string
  /** Lower-cased parameter names; values unquoted. */
  readonly params: ReadonlyMap<string, string>
}

/** RFC 2045 §5.1: type "/" subtype *(";" attribute "=" (token / quoted-string)). */
export function parseContentType(value: string): ContentType {
  const params = new Map<string, string>()
  const semi = value.indexOf(';')
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase()
  const re = /;\s*([^=\s;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/gy
  re.lastIndex = semi < 0 ? value.length : semi
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const [, name = '', quoted, token] = m
    params.set(name.toLowerCase(), quoted === undefined ? (token ?? '') : quoted.replace(/\\(.)/g, '$1'))
    re.lastIndex = skipSpace(value, re.lastIndex)
  }
  return { type, params }
}

function skipSpace(text: string, at: number): number {
  let i = at
  while (text[i] === ' ' || text[i] === '\t') i++
  return i
}

/** RFC 2045 §5.1 quoted-string for a parameter value. */
export function quoteParam(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`
}
