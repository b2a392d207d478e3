#!/usr/bin/env node
// `npm start`: build the app when out/ is missing or older than the sources, then open the desktop app.
// Where Electron cannot run (binary not installed and not downloadable, no display), say so in ONE line and
// run the headless server instead (`pitwall serve`, which prints the web UI's URL). Never hangs, never
// ends with a stack trace.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(ROOT, 'package.json'))
const OUTPUTS = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => join(ROOT, p))
const SOURCES = ['src', 'electron.vite.config.ts', 'package.json'].map((p) => join(ROOT, p))
/** A first-time Electron download may take a while on a slow line; it is never allowed to hang `npm start`. */
const DOWNLOAD_TIMEOUT_MS = Number(process.env.PITWALL_ELECTRON_DOWNLOAD_TIMEOUT_MS) || 180_000

const say = (line) => console.log(`pitwall: ${line}`)

/** This script's own switches; every other PITWALL_* variable is a config key, so they are not passed on. */
const OWN_ENV = ['PITWALL_NO_BUILD', 'PITWALL_HEADLESS', 'PITWALL_ELECTRON_DOWNLOAD_TIMEOUT_MS']
function childEnv(extra = {}) {
  const env = { ...process.env, ...extra }
  for (const k of OWN_ENV) delete env[k]
  return env
}

function main() {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < 22 || (major === 22 && minor < 12)) {
    console.error(`pitwall: Node ${process.versions.node} is too old; Node 22.12 or newer is needed (24 LTS recommended).`)
    return exit(2)
  }
  if (!build()) return exit(1)
  const electron = findElectron()
  if (electron.path) return runElectron(electron.path)
  say(`${electron.reason}; running the headless server instead (open the URL below in a browser).`)
  return runServe()
}

/** Builds with electron-vite when an output is missing or a source is newer than the oldest output. */
function build() {
  if (process.env.PITWALL_NO_BUILD === '1' && OUTPUTS.every((p) => existsSync(p))) return true
  const oldest = Math.min(...OUTPUTS.map((p) => (existsSync(p) ? statSync(p).mtimeMs : -1)))
  if (oldest > 0 && newest(SOURCES) <= oldest) return true
  say(oldest < 0 ? 'building the app (first run)…' : 'sources changed; rebuilding the app…')
  const bin = join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-vite.cmd' : 'electron-vite')
  if (!existsSync(bin)) {
    console.error('pitwall: electron-vite is not installed; run `npm install` first.')
    return false
  }
  const r = spawnSync(bin, ['build'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, shell: process.platform === 'win32' })
  if (r.status === 0) return true
  process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-25).join('\n'))
  console.error(`\npitwall: the build failed (electron-vite build exited ${r.status ?? r.signal ?? r.error?.message}); see above.`)
  return false
}

function newest(paths) {
  let max = 0
  const stack = [...paths]
  while (stack.length) {
    const p = stack.pop()
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

/** { path } of the Electron binary, or { reason } why it cannot run here. */
function findElectron() {
  if (process.env.PITWALL_HEADLESS === '1') return { reason: 'PITWALL_HEADLESS=1' }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { reason: 'no display (DISPLAY/WAYLAND_DISPLAY unset), so no desktop window' }
  let pkgDir
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return { reason: 'Electron is not installed' }
  }
  // Fast path: the binary is there (reading path.txt ourselves avoids electron's download-on-require).
  const pathFile = join(pkgDir, 'path.txt')
  if (existsSync(pathFile)) {
    const bin = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim())
    if (existsSync(bin)) return { path: bin }
  }
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return { reason: 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD is set)' }
  // `require('electron')` downloads the binary when it is missing: do it in a child, with a time limit.
  say('fetching the Electron binary (one time)…')
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write('\\n@@' + require('electron'))"], { cwd: ROOT, encoding: 'utf8', timeout: DOWNLOAD_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] })
  const bin = r.status === 0 ? (r.stdout.split('\n@@')[1] ?? '').trim() : ''
  if (bin && existsSync(bin)) return { path: bin }
  return { reason: r.error?.code === 'ETIMEDOUT' ? 'the Electron binary download timed out' : 'the Electron binary is not installed and could not be downloaded' }
}

/** Runs the desktop app; if it dies at once (missing system libraries, no GPU…), falls back to the server. */
function runElectron(bin) {
  const started = Date.now()
  let stderrTail = ''
  const child = spawn(bin, ['.'], { cwd: ROOT, stdio: ['inherit', 'inherit', 'pipe'], env: childEnv() })
  child.stderr.on('data', (d) => {
    process.stderr.write(d)
    stderrTail = (stderrTail + d).slice(-400)
  })
  forwardSignals(child)
  child.on('error', (err) => {
    say(`Electron could not start (${err.code ?? err.message}); running the headless server instead.`)
    runServe()
  })
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null && Date.now() - started < 5000) {
      const why = stderrTail.trim().split('\n').pop() || `exit ${code}`
      say(`Electron could not start (${why.slice(0, 160)}); running the headless server instead.`)
      return runServe()
    }
    exit(code ?? 0)
  })
}

function runServe() {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'pitwall.js'), 'serve', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', env: childEnv() })
  forwardSignals(child)
  child.on('error', (err) => {
    console.error(`pitwall: cannot run the server: ${err.message}`)
    exit(1)
  })
  child.on('exit', (code, signal) => exit(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1)))
}

let forwarding
function forwardSignals(child) {
  forwarding?.()
  const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((sig) => {
    const h = () => child.kill(sig)
    process.on(sig, h)
    return [sig, h]
  })
  forwarding = () => handlers.forEach(([sig, h]) => process.off(sig, h))
}

function exit(code) {
  process.exitCode = code
}

try {
  main()
} catch (err) {
  console.error(`pitwall: npm start failed: ${err?.message ?? err}`)
  process.exitCode = 1
}
