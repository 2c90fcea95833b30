import { SmtpError, type SmtpErrorCode } from './errors.js'

/** One server reply (RFC 5321 §4.2), possibly multi-line. */
export interface Reply {
  /** The three-digit reply code. */
  readonly code: number
  /** RFC 3463 enhanced status code (`5.1.1`), when the server sent one. */
  readonly enhanced?: string
  /** The text of every line, enhanced code removed, joined with `\n`. */
  readonly text: string
}

/** The longest line we accept; RFC 5321 §4.5.3.1.5 says 512, real servers send longer. */
const MAX_LINE_BYTES = 64 * 1024
const LF = 0x0a
const CR = 0x0d
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/

/**
 * Parses every complete reply in `buf`. Bytes stay bytes until a line is complete, so a UTF-8
 * character split across TCP packets decodes correctly (RFC 5321 §4.2.1 replies end with CRLF;
 * a bare LF is tolerated). Incomplete replies are returned in `rest`, to be prefixed to the next
 * packet. Throws ERR_SMTP_PROTOCOL on a line that is not a reply.
 */
export function parseReplies(buf: Buffer): { replies: Reply[]; rest: Buffer } {
  const replies: Reply[] = []
  let start = 0 // start of the reply being assembled
  let pos = 0
  let lines: string[] | undefined
  let code = 0
  for (;;) {
    const lf = buf.indexOf(LF, pos)
    if (lf < 0) break
    const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf
    const line = buf.toString('utf8', pos, end)
    pos = lf + 1
    const lineCode = replyCode(line)
    if (lines === undefined) {
      code = lineCode
      lines = []
    } else if (lineCode !== code) {
      throw garbage(`reply code changed inside a multi-line reply (${code} then ${line.slice(0, 3)})`)
    }
    lines.push(line.length > 4 ? line.slice(4) : '')
    if (line.length === 3 || line.charCodeAt(3) === 0x20) {
      replies.push(makeReply(code, lines))
      lines = undefined
      start = pos
    }
  }
  if (buf.length - start > MAX_LINE_BYTES * 4 || buf.length - pos > MAX_LINE_BYTES) {
    throw garbage('reply line too long')
  }
  return { replies, rest: start === buf.length ? EMPTY : buf.subarray(start) }
}

const EMPTY = Buffer.alloc(0)

function replyCode(line: string): number {
  // RFC 5321 §4.2: three digits (2-5 first), then SP, '-' or end of line.
  const c0 = line.charCodeAt(0)
  const c1 = line.charCodeAt(1)
  const c2 = line.charCodeAt(2)
  const sep = line.charCodeAt(3)
  if (
    !(c0 >= 0x32 && c0 <= 0x35) ||
    !(c1 >= 0x30 && c1 <= 0x39) ||
    !(c2 >= 0x30 && c2 <= 0x39) ||
    !(line.length === 3 || sep === 0x20 || sep === 0x2d)
  ) {
    throw garbage(`not an SMTP reply: ${JSON.stringify(line.slice(0, 60))}`)
  }
  return (c0 - 0x30) * 100 + (c1 - 0x30) * 10 + (c2 - 0x30)
}

function makeReply(code: number, lines: string[]): Reply {
  const first = lines[0] ?? ''
  const m = ENHANCED.exec(first)
  // RFC 3463 §2 says the classes agree; when a server disagrees with itself the enhanced
  // code is the more specific statement, so we keep it and classify() lets it win.
  if (m === null) {
    return { code, text: lines.join('\n') }
  }
  const enhanced = `${m[1]}.${m[2]}.${m[3]}`
  const strip = (l: string) => (l.startsWith(enhanced) ? l.slice(enhanced.length).trimStart() : l)
  return { code, enhanced, text: lines.map(strip).join('\n') }
}

function garbage(message: string): SmtpError {
  return new SmtpError('ERR_SMTP_PROTOCOL', message)
}

/** `550 5.1.1 No such user` — one line, for steps and error messages. */
export function formatReply(reply: Reply): string {
  const text = reply.text.replaceAll('\n', ' | ')
  return reply.enhanced === undefined ? `${reply.code} ${text}` : `${reply.code} ${reply.enhanced} ${text}`
}

/** Throws when `reply.code` is not expected; `command` is the verb only. */
export function expectReply(reply: Reply, expect: number | readonly number[], command: string, code: SmtpErrorCode = 'ERR_SMTP_REJECTED'): Reply {
  const ok = typeof expect === 'number' ? reply.code === expect : expect.includes(reply.code)
  if (ok) return reply
  throw new SmtpError(code, `${command} refused: ${formatReply(reply)}`, { reply, command })
}

/** 'MAIL FROM', 'RCPT TO', 'AUTH PLAIN' or the first word: never the arguments. */
export function verbOf(line: string): string {
  const upper = line.slice(0, 9).toUpperCase()
  if (upper.startsWith('MAIL FROM')) return 'MAIL FROM'
  if (upper.startsWith('RCPT TO')) return 'RCPT TO'
  const words = line.split(' ', 2)
  const first = (words[0] ?? '').toUpperCase()
  return first === 'AUTH' && words[1] !== undefined ? `AUTH ${words[1].toUpperCase()}` : first
}
