#!/usr/bin/env node
// `npm run fuzz`: the fuzz suite with many runs and a random seed (FUZZ_SEED=n to replay, FUZZ_FACTOR=0.2
// for a shorter run), then a
// table of inputs and answers per target. `npm test` runs the same suite with a fixed seed and few runs.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'

rmSync('test-results/fuzz', { recursive: true, force: true })
const env = { ...process.env, FUZZ_LONG: process.env.FUZZ_LONG ?? '1' }
const r = spawnSync(new URL('../node_modules/.bin/vitest', import.meta.url).pathname, ['run', 'test/fuzz', ...process.argv.slice(2)], { stdio: 'inherit', env })
if (existsSync('test-results/fuzz')) {
  console.log('\ntarget                 inputs  seed        heap MiB (start→end)  answers')
  for (const f of readdirSync('test-results/fuzz').sort()) {
    const t = JSON.parse(readFileSync(`test-results/fuzz/${f}`, 'utf8'))
    const answers = Object.entries(t.answers).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}×${n}`).join(' ')
    const heap = t.heap ? `${t.heap.startMiB}→${t.heap.endMiB} (${t.heap.growthMiB >= 0 ? '+' : ''}${t.heap.growthMiB})` : '—'
    console.log(`${t.target.padEnd(22)} ${String(t.inputs).padStart(6)}  ${String(t.seed).padEnd(10)}  ${heap.padEnd(20)}  ${answers}`)
  }
}
process.exit(r.status ?? 1)
