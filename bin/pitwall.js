#!/usr/bin/env node
// Launcher: checks Node, then runs the TypeScript CLI with Node's built-in type stripping.
import { spawnSync } from 'node:child_process'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`pitwall: Node ${process.versions.node} is too old; Node 22.12 or newer is needed (24 LTS recommended).`)
  process.exit(2)
}
if (!process.features.typescript) {
  // Node 22.12–22.17 strip types only behind a flag.
  const r = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', ...process.argv.slice(1)], { stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
const { main } = await import('../src/cli/index.ts')
process.exitCode = await main(process.argv.slice(2))
