#!/usr/bin/env node
// `npm run soak [minutes]`: the soak test at full length (30 minutes by default); figures → BENCHMARKS.md.
import { spawnSync } from 'node:child_process'

const minutes = process.argv[2] ?? process.env.SOAK_MINUTES ?? '30'
const r = spawnSync(new URL('../node_modules/.bin/vitest', import.meta.url).pathname, ['run', 'test/soak'], { stdio: 'inherit', env: { ...process.env, SOAK_MINUTES: minutes, PITWALL_SOAK: '1', SOAK_REPORT: '1' } })
process.exit(r.status ?? 1)
