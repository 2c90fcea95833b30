import { base64, REDACTED, type AuthMechanism } from './mechanism.js'

/**
 * The non-standard LOGIN mechanism (draft-murchison-sasl-login): username and password each
 * answer a 334 prompt. The prompt text is not checked: servers word it differently.
 */
export const login: AuthMechanism = {
  name: 'LOGIN',
  needs: 'password',
  async authenticate(exchange, creds) {
    let reply = await exchange('AUTH LOGIN', 'AUTH LOGIN')
    if (reply.code !== 334) return reply
    reply = await exchange(base64(creds.username), REDACTED)
    if (reply.code !== 334) return reply
    return exchange(base64(creds.password ?? ''), REDACTED)
  },
}
