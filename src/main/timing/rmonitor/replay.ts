import { type CaptureBatch, splitCapture } from './capture.ts'

export interface ReplayOptions {
  /** Speed factor (1 = real time), or 'max' for as fast as possible. */
  speed: number | 'max'
  onBatch(batch: CaptureBatch, index: number): void
  onEnd(): void
  /** Real-time gap assumed after a heartbeat in headerless captures (Orbits sends one per second). */
  headerlessGapMs?: number
  /** Longest wait between two batches at speed 1, so a capture with a long pause does not stall. */
  maxGapMs?: number
}

/** Plays a capture's batches, paced by their `##` timestamps (or one heartbeat a second), at a speed factor. */
export class CapturePlayer {
  readonly batches: CaptureBatch[]
  readonly #opts: Required<Pick<ReplayOptions, 'headerlessGapMs' | 'maxGapMs'>> & ReplayOptions
  #index = 0
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null
  #stopped = true

  constructor(text: string, opts: ReplayOptions) {
    this.batches = splitCapture(text)
    this.#opts = { headerlessGapMs: 1000, maxGapMs: 60_000, ...opts }
  }

  get position(): number {
    return this.#index
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#next()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout)
      clearImmediate(this.#timer as NodeJS.Immediate)
    }
    this.#timer = null
  }

  #next(): void {
    if (this.#stopped) return
    const { speed } = this.#opts
    if (speed === 'max') {
      // As fast as possible, yielding to the event loop now and then so sockets and timers still run.
      const until = performance.now() + 20
      while (this.#index < this.batches.length && performance.now() < until) this.#emit()
      if (this.#index >= this.batches.length) return this.#end()
      this.#timer = setImmediate(() => this.#next())
      return
    }
    if (this.#index >= this.batches.length) return this.#end()
    const cur = this.batches[this.#index]!
    this.#emit()
    if (this.#index >= this.batches.length) return this.#end()
    const next = this.batches[this.#index]!
    let gap = cur.atMs !== null && next.atMs !== null ? next.atMs - cur.atMs : this.#opts.headerlessGapMs
    if (!(gap >= 0)) gap = 0
    gap = Math.min(gap, this.#opts.maxGapMs) / speed
    this.#timer = setTimeout(() => this.#next(), gap)
  }

  #emit(): void {
    const i = this.#index++
    this.#opts.onBatch(this.batches[i]!, i)
  }

  #end(): void {
    this.#stopped = true
    this.#timer = null
    this.#opts.onEnd()
  }
}

/** Parses a replay spec's speed: a positive number, or 'max'. */
export function parseSpeed(text: string | undefined): number | 'max' | null {
  if (text === undefined || text === '') return 1
  if (text === 'max') return 'max'
  const n = Number(text)
  return Number.isFinite(n) && n > 0 && n <= 10_000 ? n : null
}
