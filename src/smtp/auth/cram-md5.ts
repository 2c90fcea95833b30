import { createHmac } from 'node:crypto'
import { base64, REDACTED, type AuthMechanism } from './mechanism.js'

/** RFC 2195: the password never crosses the wire, only an HMAC-MD5 of the server's challenge. */
export const cramMd5: AuthMechanism = {
  name: 'CRAM-MD5',
  needs: 'password',
  async authenticate(exchange, creds) {
    const reply = await exchange('AUTH CRAM-MD5', 'AUTH CRAM-MD5')
    if (reply.code !== 334) return reply
    return exchange(cramMd5Response(reply.text, creds.username, creds.password ?? ''), REDACTED)
  },
}

export function cramMd5Response(challengeBase64: string, username: string, password: string): string {
  const challenge = Buffer.from(challengeBase64.trim(), 'base64')
  const digest = createHmac('md5', password).update(challenge).digest('hex')
  return base64(`${username} ${digest}`)
}
