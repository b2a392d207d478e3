import { mkdirSync, writeFileSync } from 'node:fs'
import fc from 'fast-check'

/**
 * Fuzz settings: a fixed seed and a small run count in CI (`npm test`), many more runs with a
 * random seed for local runs (`npm run fuzz`, FUZZ_LONG=1; FUZZ_SEED=n replays a run).
 */
export const LONG = process.env.FUZZ_LONG === '1'
export const SEED = Number(process.env.FUZZ_SEED ?? (LONG ? Date.now() % 2 ** 31 : 20261121))
export const runs = (ci: number, long = ci * 50) => (LONG ? long : ci)

export interface FuzzTally {
  target: string
  inputs: number
  /** Answers by kind (status code, error string, "closed 1009", …). */
  answers: Record<string, number>
}

export function tally(target: string): FuzzTally & { count(kind: string): void; save(): void } {
  const t: FuzzTally = { target, inputs: 0, answers: {} }
  return Object.assign(t, {
    count(kind: string) {
      t.inputs++
      t.answers[kind] = (t.answers[kind] ?? 0) + 1
    },
    save() {
      mkdirSync('test-results/fuzz', { recursive: true })
      writeFileSync(`test-results/fuzz/${target.replace(/\W+/g, '_')}.json`, JSON.stringify({ ...t, seed: SEED }))
    },
  })
}

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
