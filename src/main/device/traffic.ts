import type { TrafficEntry } from './session.ts'

/** The last `size` frames on the device line, for the Device page's traffic log. */
export class TrafficLog {
  #entries: TrafficEntry[] = []
  #size: number
  #listeners = new Set<(e: TrafficEntry) => void>()

  constructor(size = 300) {
    this.#size = size
  }

  push(e: TrafficEntry): void {
    this.#entries.push(e)
    if (this.#entries.length > this.#size) this.#entries.splice(0, this.#entries.length - this.#size)
    for (const l of this.#listeners) l(e)
  }

  recent(limit = this.#size): TrafficEntry[] {
    return this.#entries.slice(-limit)
  }

  subscribe(fn: (e: TrafficEntry) => void): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  clear(): void {
    this.#entries = []
  }
}
