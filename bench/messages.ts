/**
 * The bench's messages: prebuilt RFC 5322 messages with CRLF line ends, all exactly `bytes` long
 * (a fixed-width Message-ID keeps them equal), each with one body line that starts with a dot, so
 * every DATA transfer exercises dot-stuffing (RFC 5321 §4.5.2). Both clients send these same buffers.
 */

export const FROM = 'bench-sender@alertmail.test'

export function recipients(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `rcpt${String(i + 1)}@sink.test`)
}

export function buildMessage(index: number, bytes: number, to: readonly string[]): Buffer {
  const id = String(index).padStart(10, '0')
  const head =
    `From: alertmail bench <${FROM}>\r\n` +
    `To: ${to.join(', ')}\r\n` +
    `Subject: [bench] alert ${id}\r\n` +
    `Date: Fri, 27 Nov 2026 20:00:00 +0000\r\n` +
    `Message-ID: <${id}.bench@alertmail.test>\r\n` +
    `MIME-Version: 1.0\r\n` +
    `Content-Type: text/plain; charset=us-ascii\r\n` +
    `Content-Transfer-Encoding: 7bit\r\n` +
    `\r\n` +
    `Alert ${id} fired.\r\n` +
    `.this line starts with a dot and must be stuffed on the wire\r\n`
  const line = 'The quick brown fox jumps over the lazy dog, 0123456789 ABCDEFGHIJKLMNOPQRSTUV.\r\n'
  let text = head
  while (text.length + line.length <= bytes - 2) text += line
  const filler = bytes - 2 - text.length
  text += 'x'.repeat(filler) + '\r\n'
  const buf = Buffer.from(text, 'latin1')
  if (buf.length !== bytes) throw new Error(`message is ${String(buf.length)} bytes, wanted ${String(bytes)}`)
  return buf
}

export function buildMessages(count: number, bytes: number, to: readonly string[]): Buffer[] {
  return Array.from({ length: count }, (_, i) => buildMessage(i, bytes, to))
}
