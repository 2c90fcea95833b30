import { base64, REDACTED, type AuthMechanism } from './mechanism.js'

/**
 * Google/Microsoft XOAUTH2. On refusal the server sends a 334 with a base64 JSON error and waits
 * for an empty line before its final 535; we send it so the session stays in step.
 */
export const xoauth2: AuthMechanism = {
  name: 'XOAUTH2',
  needs: 'token',
  async authenticate(exchange, creds) {
    const payload = base64(`user=${creds.username}\x01auth=Bearer ${creds.accessToken ?? ''}\x01\x01`)
    const reply = await exchange(`AUTH XOAUTH2 ${payload}`, `AUTH XOAUTH2 ${REDACTED}`)
    if (reply.code !== 334) return reply
    return exchange('', '')
  },
}
