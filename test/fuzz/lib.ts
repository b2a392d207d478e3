import { mkdirSync, writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'

/**
 * Fuzz settings: a fixed seed and a small run count in CI (`npm test`), many more runs with a
 * random seed for local runs (`npm run fuzz`, FUZZ_LONG=1; FUZZ_SEED=n replays a run).
 */
export const LONG = process.env.FUZZ_LONG === '1'
export const SEED = Number(process.env.FUZZ_SEED ?? (LONG ? Date.now() % 2 ** 31 : 20261121))
/** FUZZ_FACTOR scales the long runs (e.g. 0.2 for a few-minute local run). */
const FACTOR = Number(process.env.FUZZ_FACTOR ?? 1)
export const runs = (ci: number, long = ci * 50) => (LONG ? Math.max(ci, Math.round(long * FACTOR)) : ci)

export interface FuzzTally {
  target: string
  inputs: number
  /** Answers by kind (status code, error string, "closed 1009", …). */
  answers: Record<string, number>
  /** Heap used (MiB, after a full GC) when the target started counting and when it saved. */
  heap?: { startMiB: number; endMiB: number; growthMiB: number }
}

// A full GC before each heap reading, so growth means retained objects, not garbage not yet collected.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
setFlagsFromString('--no-expose-gc')

/** Heap used in MiB after a full GC (the server under test runs in this process). */
export function heapMiB(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 2 ** 20
}

/**
 * Retained heap a long run may add (MiB): the answers stored on purpose (message history is in SQLite,
 * not the heap) stay far below it; a leak per input (a socket, a listener, a buffer) over thousands of
 * inputs goes far above it.
 */
export const HEAP_GROWTH_LIMIT_MIB = 48

export function tally(target: string): FuzzTally & { count(kind: string): void; save(): void } {
  const t: FuzzTally = { target, inputs: 0, answers: {} }
  let start: number | undefined
  return Object.assign(t, {
    count(kind: string) {
      // The baseline is taken at the first input, after the target's server and first connections are up.
      start ??= heapMiB()
      t.inputs++
      t.answers[kind] = (t.answers[kind] ?? 0) + 1
    },
    save() {
      if (start !== undefined) {
        const end = heapMiB()
        t.heap = { startMiB: round(start), endMiB: round(end), growthMiB: round(end - start) }
      }
      mkdirSync('test-results/fuzz', { recursive: true })
      writeFileSync(`test-results/fuzz/${target.replace(/\W+/g, '_')}.json`, JSON.stringify({ ...t, seed: SEED }))
      // Unbounded growth fails long runs (short CI runs are too small to tell a leak from warm-up).
      if (LONG && t.heap && t.heap.growthMiB > HEAP_GROWTH_LIMIT_MIB) throw new Error(`${target}: heap grew ${t.heap.growthMiB} MiB over ${t.inputs} inputs (limit ${HEAP_GROWTH_LIMIT_MIB})`)
    },
  })
}

const round = (n: number) => Math.round(n * 10) / 10

/** Arbitrary JSON-ish values, including hostile shapes (deep nesting, huge strings, odd numbers). */
export const hostileJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, 0, -1, 1e308, -0, '', '\u0000', '__proto__', { __proto__: { admin: true } }, { constructor: { prototype: {} } }),
  fc.string({ maxLength: 200 }).map((s) => ({ [s]: s })),
  fc.integer({ min: 1, max: 200 }).map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d))),
)

/** Raw frames: text that is not JSON, truncated JSON, binary junk, mutated valid messages. */
export function hostileFrames(valid: string[]) {
  return fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    hostileJson.map((v) => JSON.stringify(v) ?? 'null'),
    fc.constantFrom(...valid).chain((v) => fc.nat({ max: Math.max(0, v.length - 1) }).map((cut) => v.slice(0, cut))),
    fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([v, i, c]) => {
      const b = Buffer.from(v)
      if (b.length) b[i % b.length] = c
      return b.toString('latin1')
    }),
  )
}

export const fuzzParams = { seed: SEED, numRuns: 1, verbose: 1 } as const
