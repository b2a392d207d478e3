#!/usr/bin/env node
// `npm run bench [filter]`: runs every bench/*.bench.ts in its own process (so one bench cannot
// skew the next) and writes the combined table to BENCHMARKS.md.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'

const filter = process.argv[2]
const files = readdirSync('bench').filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter))).sort()
const results = []
for (const file of files) {
  console.log(`\n▶ ${file}`)
  const out = join(tmpdir(), `pitwall-bench-${process.pid}-${file}.json`)
  const r = spawnSync(process.execPath, [join('bench', file)], { stdio: 'inherit', env: { ...process.env, BENCH_OUT: out } })
  if (r.status !== 0 || !existsSync(out)) {
    console.log(`✗ ${file} failed (exit ${r.status ?? r.signal})`)
    results.push({ name: file, description: 'FAILED', rows: [], ratios: [`failed with exit ${r.status ?? r.signal}`] })
    continue
  }
  results.push(JSON.parse(readFileSync(out, 'utf8')))
  rmSync(out, { force: true })
}

const fmt = (n) => (n === undefined || n === null || Number.isNaN(n) ? '' : n.toFixed(2))
const lines = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString()} — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.`,
  'Every benchmark runs Pitwall and a baseline in the same process run on loopback; clients and server share the cores.',
  '',
]
for (const r of results) {
  lines.push(`## ${r.name}`, '', r.description, '', '| case | subject | ops/s | p50 ms | p95 ms | p99 ms | notes |', '|---|---|---:|---:|---:|---:|---|')
  for (const row of r.rows) lines.push(`| ${row.case} | ${row.subject} | ${row.opsPerSec ? Math.round(row.opsPerSec) : ''} | ${fmt(row.p50Ms)} | ${fmt(row.p95Ms)} | ${fmt(row.p99Ms)} | ${row.extra ?? ''} |`)
  lines.push('', ...r.ratios.map((x) => `- ${x}`), '')
}
// The soak section is written by `npm run soak`; keep it.
const soak = existsSync('BENCHMARKS.md') ? (readFileSync('BENCHMARKS.md', 'utf8').match(/## soak\n[\s\S]*?(?=\n## |$)/)?.[0] ?? '') : ''
if (!filter) writeFileSync('BENCHMARKS.md', lines.join('\n') + (soak ? '\n' + soak.trimEnd() + '\n' : ''))
else console.log(lines.join('\n'))
const failed = results.filter((r) => r.description === 'FAILED').length
process.exit(failed ? 1 : 0)
