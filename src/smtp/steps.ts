import type { Tracer } from './diagnostics.js'
import { formatReply, type Reply } from './reply.js'
import type { Step, StepName } from './types.js'

/** Times each step of the conversation for checkServer/sendWithReport; free when nobody listens. */
export class Steps {
  readonly #tracer: Tracer
  readonly #onStep: ((s: Step) => void) | undefined

  constructor(tracer: Tracer, onStep: ((s: Step) => void) | undefined) {
    this.#tracer = tracer
    this.#onStep = onStep
  }

  get enabled(): boolean {
    return this.#onStep !== undefined
  }

  now(): number {
    return this.#onStep === undefined ? 0 : this.#tracer.now()
  }

  /** Runs `fn` as step `name`; ok unless it throws. A reply in the result or the error is shown. */
  async run<T>(name: StepName, fn: () => Promise<T>, okIf: (t: T) => boolean = () => true): Promise<T> {
    if (this.#onStep === undefined) return fn()
    const start = this.#tracer.now()
    try {
      const value = await fn()
      this.record(name, start, okIf(value), isReply(value) ? value : undefined)
      return value
    } catch (e) {
      const reply = (e as { reply?: unknown }).reply
      this.record(name, start, false, isReply(reply) ? reply : undefined)
      throw e
    }
  }

  /** `reply` is a server reply, or text already describing one or several (refused recipients). */
  record(name: StepName, start: number, ok: boolean, reply?: Reply | string): void {
    if (this.#onStep === undefined) return
    const ms = Math.round((this.#tracer.now() - start) * 10) / 10
    if (reply === undefined) this.#onStep({ step: name, ok, ms })
    else this.#onStep({ step: name, ok, ms, reply: typeof reply === 'string' ? reply : formatReply(reply) })
  }
}

function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && typeof (v as Reply).code === 'number' && typeof (v as Reply).text === 'string'
}
