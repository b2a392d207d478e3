/** Token bucket: `rate` tokens per second, at most `burst` stored. */
export class TokenBucket {
  #rate: number
  #burst: number
  #tokens: number
  #at: number

  constructor(rate: number, burst: number, now = performance.now()) {
    this.#rate = rate
    this.#burst = burst
    this.#tokens = burst
    this.#at = now
  }

  /** Takes one token; returns 0 when allowed, else the ms until one is available. */
  take(now = performance.now()): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + (Math.max(0, now - this.#at) * this.#rate) / 1000)
    this.#at = now
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return 0
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#rate)
  }
}
