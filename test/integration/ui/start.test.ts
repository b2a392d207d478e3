import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureWebBuild } from '../../helpers/web-build.ts'

// `npm start` where Electron cannot run (as on this machine): one line saying why, then the headless
// server with the web UI's URL; SIGTERM ends it with exit 0; failures are one line, never a stack trace.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const dirs: string[] = []
const children: ChildProcess[] = []
const servers: Server[] = []

// Built once for every test file (start.js is told not to build: it would empty out/ under the others).
beforeAll(() => void ensureWebBuild())

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const s of servers.splice(0)) s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function start(extraEnv: Record<string, string | undefined>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pitwall-start-'))
  dirs.push(dataDir)
  const env: NodeJS.ProcessEnv = {}
  // Only what a user's shell would have: no PITWALL_* leaking in from the test runner.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PITWALL_') && k !== 'DISPLAY' && k !== 'WAYLAND_DISPLAY') env[k] = v
  Object.assign(env, { PITWALL_PORT: '0', PITWALL_HOST: '127.0.0.1', PITWALL_DATA_DIR: dataDir, PITWALL_ADMIN_PASSWORD: 'start-test-pw', PITWALL_LOG_TO_CONSOLE: 'false', PITWALL_NO_BUILD: '1', PITWALL_TIMING__SOURCE: 'none' }, extraEnv)
  const child = spawn(process.execPath, [join(ROOT, 'scripts/start.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const waitFor = (re: RegExp, ms = 20_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output so far:\n${out}`)), ms)
      const check = () => {
        const m = re.exec(out)
        if (m) {
          clearTimeout(t)
          resolve(m)
        }
      }
      child.stdout!.on('data', check)
      child.stderr!.on('data', check)
      check()
    })
  return { child, exited, waitFor, output: () => out }
}

describe('npm start (scripts/start.js)', () => {
  it('without a display: says so in one line, serves the web UI, exits 0 on SIGTERM', async () => {
    const s = start({})
    const [, url] = await s.waitFor(/Web UI: (http:\/\/\S+)/)
    const lines = s.output().split('\n').filter((l) => l.startsWith('pitwall: '))
    expect(lines).toEqual(['pitwall: no display (DISPLAY/WAYLAND_DISPLAY unset), so no desktop window; running the headless server instead (open the URL below in a browser).'])
    const res = await fetch(`${url}/healthz`)
    expect(res.status).toBe(200)
    expect(await (await fetch(`${url}/`)).text()).toContain('<div id="root">')
    s.child.kill('SIGTERM')
    expect(await s.exited).toBe(0)
    expect(s.output()).not.toMatch(/\n\s+at /)
  })

  it('with a display but no Electron binary (and no download allowed): one line, then the server', async () => {
    const s = start({ DISPLAY: ':99', ELECTRON_SKIP_BINARY_DOWNLOAD: '1' })
    await s.waitFor(/Web UI: http/)
    expect(s.output()).toContain('pitwall: the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD is set); running the headless server instead')
    s.child.kill('SIGTERM')
    expect(await s.exited).toBe(0)
  })

  it('a port in use: one clear line, exit code 2, no stack trace', async () => {
    const blocker = createServer()
    servers.push(blocker)
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    const s = start({ PITWALL_PORT: String(port) })
    expect(await s.exited).toBe(2)
    expect(s.output()).toContain(`port ${port} on 127.0.0.1 is already in use`)
    expect(s.output()).not.toMatch(/\n\s+at /)
  })
})
