/**
 * Header and command injection payloads (issue 6 §2): CR, LF, NUL, encoded-word tricks and
 * over-long lines. Every payload tries to smuggle one of the MARKERS below; a test passes only if
 * no marker ever appears as a header name or an SMTP command on the wire.
 */

/** A header name or command verb that must never appear on the wire. */
export const MARKERS = ['X-Injected', 'Bcc', 'RCPT TO:<evil@attacker.test>', 'MAIL FROM:<evil@attacker.test>', 'QUIT', 'RSET', 'DATA'] as const

export const INJECTIONS: readonly string[] = [
  'alert\r\nX-Injected: crlf',
  'alert\nX-Injected: lf',
  'alert\rX-Injected: cr',
  'alert\r\n\r\nbody injected after a blank line',
  'alert\0X-Injected: nul',
  'alert\r\nBcc: evil@attacker.test',
  'alert\u2028X-Injected: line-separator',
  'alert\u0085X-Injected: next-line',
  'alert\r\n X-Injected: folded continuation',
  'alert\r\nRCPT TO:<evil@attacker.test>',
  'a@b.test>\r\nRCPT TO:<evil@attacker.test>',
  'a@b.test> SIZE=1\r\nRSET',
  'ops@example.test\r\nDATA\r\n.\r\nQUIT',
  '=?utf-8?Q?alert=0D=0AX-Injected:_encoded?=',
  '=?utf-8?B?YWxlcnQNClgtSW5qZWN0ZWQ6IGI2NA==?=',
  '=?utf-8?Q?a?= =?utf-8?Q?=0A?=X-Injected: split-words',
  '"quoted\r\nX-Injected: q" <a@b.test>',
  'x'.repeat(2000) + '\r\nX-Injected: after a long line',
  'y'.repeat(5000),
  'word '.repeat(400),
  '\u{1F6A8}'.repeat(300) + '\nX-Injected: emoji run',
]
