/**
 * Mail health for the UI banner (issue 4 §8): "mail has been failing for N minutes". Fed with the
 * outcome of every delivery attempt and Send Test Mail in this process; the route adds the
 * store's queue age, which sees every process.
 */
export interface MailHealthSnapshot {
  readonly lastSuccessAt?: Date
  readonly failingSince?: Date
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: Date }
}

export class MailHealth {
  readonly #now: () => Date
  #lastSuccessAt: Date | undefined
  #failingSince: Date | undefined
  #lastError: { code: string; message: string; at: Date } | undefined

  constructor(opts: { now?: () => Date } = {}) {
    this.#now = opts.now ?? (() => new Date())
  }

  recordSuccess(): void {
    this.#lastSuccessAt = this.#now()
    this.#failingSince = undefined
  }

  /** Only failures that are the relay's or our configuration's fault; a refused recipient is not. */
  recordFailure(code: string, message: string): void {
    const at = this.#now()
    this.#failingSince ??= at
    this.#lastError = { code, message, at }
  }

  snapshot(): MailHealthSnapshot {
    return {
      ...(this.#lastSuccessAt ? { lastSuccessAt: this.#lastSuccessAt } : {}),
      ...(this.#failingSince ? { failingSince: this.#failingSince } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    }
  }
}
