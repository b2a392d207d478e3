#!/usr/bin/env node
// `npm test`: build (the web UI the end-to-end tests load, and the Electron bundles as a packaging
// smoke test), type-check, run every vitest suite, and print one closing line "N passed, N failed".
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname
let passed = 0
let failed = 0

function step(name, cmd, args) {
  console.log(`\n▶ ${name}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env })
  if (r.status === 0) passed++
  else {
    failed++
    console.log(`✗ ${name} failed (exit ${r.status ?? r.signal})`)
  }
  return r.status === 0
}

const onlyVitest = process.argv.slice(2)
if (onlyVitest.length === 0) {
  step('build: electron-vite build (main, preload, renderer)', bin('electron-vite'), ['build'])
  // Packaging smoke test (issue 10): the built app's core boots, serves the web UI and /ui, and stops.
  const smokeDir = mkdtempSync(join(tmpdir(), 'pitwall-check-'))
  step('packaging smoke test: pitwall serve --check', process.execPath, ['bin/pitwall.js', 'serve', '--check', '--host', '127.0.0.1', '--port', '0', '--data-dir', smokeDir, '--timing', 'none'])
  rmSync(smokeDir, { recursive: true, force: true })
  step('typecheck: core, CLI, desktop, tests', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit'])
  step('typecheck: renderer', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit'])
}

/** Runs vitest and adds its counts; a file that fails to load has no tests but is a failure. */
function vitest(name, args, env = {}) {
  const report = '.vitest-report.json'
  rmSync(report, { force: true })
  console.log(`\n▶ ${name}`)
  const r = spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], { stdio: 'inherit', env: { ...process.env, ...env } })
  if (!existsSync(report)) {
    failed++
    console.log(`✗ ${name} produced no report (exit ${r.status ?? r.signal})`)
    return
  }
  const j = JSON.parse(readFileSync(report, 'utf8'))
  passed += j.numPassedTests
  failed += j.numFailedTests + j.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length
}

vitest('vitest: unit, integration, end-to-end, fuzz, faults', onlyVitest)
if (onlyVitest.length === 0) vitest('vitest: soak (alone)', ['test/soak'], { PITWALL_SOAK: '1' })
console.log(`\n${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
