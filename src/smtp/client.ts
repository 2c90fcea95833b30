import type { Capabilities } from './capabilities.js'
import { SmtpError } from './errors.js'
import type { Envelope, SmtpOptions } from './options.js'
import type { MessageInput, SendOptions, SendResult, SessionContext, TlsInfo } from './types.js'

/** One SMTP connection. (Contract stub: implementation follows.) */
export class SmtpClient {
  readonly capabilities: Capabilities
  readonly tls: TlsInfo | undefined

  private constructor(capabilities: Capabilities, tls: TlsInfo | undefined) {
    this.capabilities = capabilities
    this.tls = tls
  }

  static async connect(_opts: SmtpOptions, _ctx: SessionContext = {}): Promise<SmtpClient> {
    throw new SmtpError('ERR_SMTP_CONFIG', 'not implemented yet')
  }

  async send(_envelope: Envelope, _message: MessageInput, _opts: SendOptions = {}): Promise<SendResult> {
    throw new SmtpError('ERR_SMTP_CONFIG', 'not implemented yet')
  }

  async ping(): Promise<void> {}
  async quit(): Promise<void> {}
  destroy(): void {}
}
