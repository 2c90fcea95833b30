/**
 * Token bucket for rateLimitPerMinute: holds at most one minute's budget and refills continuously,
 * so a provider limit such as Microsoft 365's 30 messages a minute is never exceeded over any minute
 * window after the first. The worker asks how many tokens are free *before* claiming, and claims
 * that many rows in priority order — so when the budget is short, critical mail takes it first.
 */
export class RateLimiter {
  readonly #perMinute: number
  readonly #now: () => number
  #tokens: number
  #at: number

  /** perMinute <= 0: unlimited. */
  constructor(perMinute: number, now: () => number) {
    this.#perMinute = perMinute
    this.#now = now
    this.#tokens = perMinute
    this.#at = now()
  }

  get perMinute(): number {
    return this.#perMinute
  }

  get unlimited(): boolean {
    return this.#perMinute <= 0
  }

  /** Whole tokens available now (Infinity when unlimited). */
  available(): number {
    if (this.unlimited) return Number.POSITIVE_INFINITY
    this.#refill()
    return Math.floor(this.#tokens)
  }

  take(n: number): void {
    if (this.unlimited) return
    this.#refill()
    this.#tokens -= n
  }

  /** Gives back tokens of claims that were never attempted (e.g. released on stop). */
  refund(n: number): void {
    if (this.unlimited) return
    this.#tokens = Math.min(this.#perMinute, this.#tokens + n)
  }

  /** Milliseconds until one whole token is available (0 when one is). */
  msUntilNext(): number {
    if (this.unlimited) return 0
    this.#refill()
    if (this.#tokens >= 1) return 0
    return Math.ceil(((1 - this.#tokens) * 60_000) / this.#perMinute)
  }

  #refill(): void {
    const now = this.#now()
    const elapsed = Math.max(0, now - this.#at)
    this.#at = now
    this.#tokens = Math.min(this.#perMinute, this.#tokens + (elapsed * this.#perMinute) / 60_000)
  }
}
