import { base64, REDACTED, type AuthMechanism } from './mechanism.js'

/** RFC 4616 with an initial response (RFC 4954 §4): one round trip. */
export const plain: AuthMechanism = {
  name: 'PLAIN',
  needs: 'password',
  async authenticate(exchange, creds) {
    const payload = base64(`\0${creds.username}\0${creds.password ?? ''}`)
    return exchange(`AUTH PLAIN ${payload}`, `AUTH PLAIN ${REDACTED}`)
  },
}
