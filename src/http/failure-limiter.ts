/**
 * Counts failed authentication attempts per client address in a fixed window, so guessing
 * tokens costs a wait (answered 429 with Retry-After). In memory and per process: each
 * `alertmail serve` protects itself. The clock is injected for tests (STYLE.md §2.7).
 */
export interface FailureLimiterOptions {
  /** Failed attempts allowed per window before further requests are refused. Default 10. */
  readonly maxFailures?: number
  /** Window length. Default 60 s. */
  readonly windowMs?: number
  readonly now?: () => number
}

interface Bucket {
  failures: number
  resetAt: number
}

export class FailureLimiter {
  readonly #max: number
  readonly #windowMs: number
  readonly #now: () => number
  readonly #buckets = new Map<string, Bucket>()

  constructor(opts: FailureLimiterOptions = {}) {
    this.#max = opts.maxFailures ?? 10
    this.#windowMs = opts.windowMs ?? 60_000
    this.#now = opts.now ?? Date.now
  }

  /** Milliseconds until `key` may try again, or 0 when it is not blocked. */
  blockedForMs(key: string): number {
    const bucket = this.#live(key)
    if (!bucket || bucket.failures < this.#max) return 0
    return Math.max(1, bucket.resetAt - this.#now())
  }

  recordFailure(key: string): void {
    const bucket = this.#live(key)
    if (bucket) {
      bucket.failures += 1
      return
    }
    // Bounded memory under a spray from many addresses: drop expired buckets first.
    if (this.#buckets.size >= 10_000) this.#sweep()
    this.#buckets.set(key, { failures: 1, resetAt: this.#now() + this.#windowMs })
  }

  #live(key: string): Bucket | undefined {
    const bucket = this.#buckets.get(key)
    if (bucket && bucket.resetAt <= this.#now()) {
      this.#buckets.delete(key)
      return undefined
    }
    return bucket
  }

  #sweep(): void {
    const now = this.#now()
    for (const [key, bucket] of this.#buckets) if (bucket.resetAt <= now) this.#buckets.delete(key)
    if (this.#buckets.size >= 10_000) this.#buckets.clear()
  }
}
