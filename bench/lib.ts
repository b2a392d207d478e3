// Shared helpers for benchmarks. Each bench/*.bench.ts file runs on its own (node bench/x.bench.ts),
// compares Pitwall against a baseline in the same run, and ends by calling `report()`.
import { writeFileSync } from 'node:fs'

export interface Row {
  /** What was measured, e.g. "broadcast to 500 clients". */
  case: string
  /** "pitwall" or the baseline's name. */
  subject: string
  /** Operations (deliveries, round trips, records…) per second. */
  opsPerSec?: number
  p50Ms?: number
  p95Ms?: number
  p99Ms?: number
  /** Free-form extra column, e.g. bytes on the wire. */
  extra?: string
}

export interface BenchResult {
  name: string
  description: string
  rows: Row[]
  /** Ratios against the baseline, one line each, e.g. "p99 1.08× bare ws, throughput 0.97×". */
  ratios: string[]
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export function summarize(latenciesMs: number[]): Pick<Row, 'p50Ms' | 'p95Ms' | 'p99Ms'> {
  return { p50Ms: percentile(latenciesMs, 50), p95Ms: percentile(latenciesMs, 95), p99Ms: percentile(latenciesMs, 99) }
}

export function ratio(a: number | undefined, b: number | undefined): string {
  if (!a || !b) return 'n/a'
  return `${(a / b).toFixed(2)}×`
}

/** Prints the result as JSON on the last line of stdout (read by scripts/bench.js) and, when asked, to a file. */
export function report(result: BenchResult): void {
  const out = process.env.BENCH_OUT
  if (out) writeFileSync(out, JSON.stringify(result))
  for (const r of result.rows) {
    console.log(
      `${result.name} | ${r.case} | ${r.subject} | ${r.opsPerSec ? Math.round(r.opsPerSec) + '/s' : ''} | p50 ${fmt(r.p50Ms)} p95 ${fmt(r.p95Ms)} p99 ${fmt(r.p99Ms)} ${r.extra ?? ''}`,
    )
  }
  for (const line of result.ratios) console.log(`${result.name} | ${line}`)
}

export function fmt(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '-' : `${ms.toFixed(2)} ms`
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
