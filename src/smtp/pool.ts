import type { Capabilities } from './capabilities.js'
import { SmtpError } from './errors.js'
import type { Envelope, SmtpOptions } from './options.js'
import type { MessageInput, SendOptions, SendResult } from './types.js'

/** Reused connections. (Contract stub: implementation follows.) */
export class SmtpPool {
  readonly #opts: SmtpOptions
  constructor(opts: SmtpOptions) {
    this.#opts = opts
  }
  async send(_envelope: Envelope, _message: MessageInput, _opts: SendOptions = {}): Promise<SendResult> {
    throw new SmtpError('ERR_SMTP_CONFIG', `not implemented yet (${this.#opts.host})`)
  }
  async capabilities(): Promise<Capabilities> {
    throw new SmtpError('ERR_SMTP_CONFIG', 'not implemented yet')
  }
  async close(): Promise<void> {}
}
