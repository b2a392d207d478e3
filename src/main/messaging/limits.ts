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

/** Limits of a messaging connection (both dialects), from config.messaging. */
export interface RtcLimits {
  maxConnections: number
  heartbeatMs: number
  idleTimeoutMs: number
  maxFrameBytes: number
  ratePerSec: number
  rateBurst: number
  /** A reader with more than this queued is cut off; above a quarter of it, low-priority messages are skipped. */
  maxBufferedBytes: number
  maxSubscriptions: number
  /** AuthStatus token_expiring is sent this long before the token expires. */
  tokenWarningMs: number
}

/** Close codes of /ws (documented in docs/api/messaging.md). */
export const CLOSE = { normal: 1000, shutdown: 1001, tooBig: 1009, tokenExpired: 4001, idle: 4008, rateAbuse: 4029 } as const
