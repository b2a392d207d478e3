import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The built app (out/) that end-to-end tests serve, made at most once per change of the sources.
// Test files run in parallel and `electron-vite build` empties out/ first: an unconditional rebuild in
// one file's beforeAll makes the pages another file is serving 404. So: build only when out/ is missing or
// older than the sources, and only one process at a time (a lock directory).

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const WEB_ROOT = join(ROOT, 'out/renderer')
const OUTPUTS = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => join(ROOT, p))
const SOURCES = ['src', 'electron.vite.config.ts'].map((p) => join(ROOT, p))
/** Outside out/ (the build empties it), one per checkout. */
const LOCK = join(tmpdir(), `pitwall-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}.lock`)
const LOCK_STALE_MS = 120_000

function newest(paths: string[]): number {
  let max = 0
  const stack = [...paths]
  while (stack.length) {
    const p = stack.pop()!
    let st
    try {
      st = statSync(p)
    } catch {
      continue
    }
    if (st.isDirectory()) for (const name of readdirSync(p)) stack.push(join(p, name))
    else max = Math.max(max, st.mtimeMs)
  }
  return max
}

function fresh(): boolean {
  const oldest = Math.min(...OUTPUTS.map((p) => (existsSync(p) ? statSync(p).mtimeMs : -1)))
  return oldest > 0 && newest(SOURCES) <= oldest
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** Makes sure out/ is built from the current sources; returns the web root. */
export function ensureWebBuild(): string {
  const deadline = Date.now() + 180_000
  for (;;) {
    // out/ is half-written while someone holds the lock: fresh only counts without it.
    if (!existsSync(LOCK) && fresh()) return WEB_ROOT
    try {
      mkdirSync(LOCK)
    } catch {
      // Another test file is building: wait for it (a lock left by a killed run is taken over).
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true })
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another electron-vite build')
      sleep(200)
      continue
    }
    try {
      if (!fresh()) {
        const r = spawnSync(join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'ignore' })
        if (r.status !== 0) throw new Error(`electron-vite build failed (exit ${r.status ?? r.signal})`)
      }
    } finally {
      rmSync(LOCK, { recursive: true, force: true })
    }
    return WEB_ROOT
  }
}
