import type { EmailSettings } from '../settings/index.js'

/** The settings' retry block: { maxAttempts, minDelayMs, maxDelayMs, factor, jitter, maxAgeMs }. */
export type RetrySettings = EmailSettings['retry']

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly at: Date }
  | { readonly retry: false; readonly reason: string }

export interface RetryPolicyOptions {
  /** [0, 1); injected so schedules are reproducible in tests. Default Math.random. */
  readonly random?: () => number
}

/**
 * Exponential backoff with jitter, bounded in attempts and age (undici's retry names:
 * minDelayMs ≈ minTimeout, factor ≈ timeoutFactor, maxDelayMs ≈ maxTimeout). A storm's retries
 * are spread by ±jitter so a recovering relay is not hit by all of them in the same second.
 *
 * @example
 * const policy = new RetryPolicy(settings.retry)
 * const d = policy.next({ attempts: 1, queuedAt, now })   // after the first failed attempt
 * if (d.retry) schedule(d.at); else deadLetter(d.reason)
 */
export class RetryPolicy {
  readonly #settings: Readonly<RetrySettings>
  readonly #random: () => number

  constructor(settings: RetrySettings, opts: RetryPolicyOptions = {}) {
    this.#settings = Object.freeze({ ...settings })
    this.#random = opts.random ?? Math.random
  }

  get settings(): Readonly<RetrySettings> {
    return this.#settings
  }

  /** The delay after the `attempts`-th failed attempt (1-based), before jitter. */
  baseDelayMs(attempts: number): number {
    const { minDelayMs, maxDelayMs, factor } = this.#settings
    const raw = minDelayMs * Math.pow(factor, Math.max(0, attempts - 1))
    return Math.min(maxDelayMs, Number.isFinite(raw) ? raw : maxDelayMs)
  }

  /** The delay with ±jitter applied, never negative nor above maxDelayMs. */
  delayMs(attempts: number): number {
    const base = this.baseDelayMs(attempts)
    const spread = base * this.#settings.jitter * (2 * this.#random() - 1)
    return Math.round(Math.min(this.#settings.maxDelayMs, Math.max(0, base + spread)))
  }

  /**
   * What to do after a transient failure. `attempts`: attempts made so far, this one included;
   * `queuedAt`: start of the retry window (enqueue or manual retry).
   */
  next(input: { readonly attempts: number; readonly queuedAt: Date; readonly now: Date }): RetryDecision {
    const { maxAttempts, maxAgeMs } = this.#settings
    if (input.attempts >= maxAttempts) return { retry: false, reason: `gave up after ${input.attempts} attempts (maxAttempts ${maxAttempts})` }
    const delayMs = this.delayMs(input.attempts)
    const at = new Date(input.now.getTime() + delayMs)
    if (at.getTime() - input.queuedAt.getTime() > maxAgeMs) {
      return { retry: false, reason: `gave up after ${input.attempts} attempts: the next try would be past maxAgeMs (${maxAgeMs} ms)` }
    }
    return { retry: true, delayMs, at }
  }
}
