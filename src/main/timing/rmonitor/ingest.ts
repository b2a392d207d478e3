import type { BatchResult } from '../state/builder.ts'
import { SessionBuilder } from '../state/builder.ts'
import { parseRecord, type RMonitorRecord } from './parser.ts'

export interface IngestStats {
  received: number
  broken: number
  /** The last few broken lines with the reason, for the status view (bounded). */
  lastErrors: Array<{ line: string; reason: string }>
}

/**
 * Lines → parsed records → the session builder, one batch at a time. Broken lines are counted and
 * skipped; nothing here throws on bad input.
 */
export class RMonitorIngest {
  readonly builder: SessionBuilder
  readonly stats: IngestStats = { received: 0, broken: 0, lastErrors: [] }
  readonly #onBatch: (result: BatchResult) => void
  #records: RMonitorRecord[] = []

  constructor(builder: SessionBuilder, onBatch: (result: BatchResult) => void) {
    this.builder = builder
    this.#onBatch = onBatch
  }

  /** Adds one line to the open batch. */
  line(line: string): void {
    if (line.length === 0) return
    const r = parseRecord(line)
    if (r.ok) {
      this.stats.received++
      this.#records.push(r.record)
    } else this.broken(line, r.reason)
  }

  broken(line: string, reason: string): void {
    this.stats.broken++
    const errs = this.stats.lastErrors
    errs.push({ line: line.slice(0, 120), reason })
    if (errs.length > 20) errs.shift()
  }

  /** Closes the open batch and applies it. */
  flush(atMs?: number): void {
    if (this.#records.length === 0) return
    const records = this.#records
    this.#records = []
    this.#onBatch(this.builder.processBatch(records, atMs ?? Date.now()))
  }

  /** Applies whole lines as one batch. */
  batch(lines: readonly string[], atMs?: number): void {
    for (let i = 0; i < lines.length; i++) this.line(lines[i]!)
    this.flush(atMs)
  }
}
