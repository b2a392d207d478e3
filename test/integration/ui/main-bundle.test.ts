import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureWebBuild } from '../../helpers/web-build.ts'

// The BUILT Electron main bundle (out/main/index.js, what ships) run in plain Node with 'electron'
// resolved to a scripted stub (test/fixtures/electron-stub): it must find its preload and renderer,
// start the core, answer the UI API over IPC, build the tray and menu, and quit cleanly (exit 0).

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
let dir: string

beforeAll(() => {
  ensureWebBuild()
  dir = mkdtempSync(join(tmpdir(), 'pitwall-bundle-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('out/main/index.js with electron stubbed', () => {
  it('boots the desktop shell and the core, serves IPC, quits with exit 0', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PITWALL_')))
    Object.assign(env, { PITWALL_DATA_DIR: dir, XDG_CONFIG_HOME: dir, PITWALL_PORT: '0', PITWALL_HOST: '127.0.0.1', PITWALL_LOG_TO_CONSOLE: 'false', PITWALL_TIMING__SOURCE: 'none' })
    const child = spawn(process.execPath, ['--import', './test/fixtures/electron-stub/register.mjs', 'out/main/index.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000)
      child.on('exit', (c) => {
        clearTimeout(t)
        resolve(c)
      })
    })
    const line = out.split('\n').find((l) => l.startsWith('STUB-REPORT '))
    expect(line, out).toBeDefined()
    const r = JSON.parse(line!.slice('STUB-REPORT '.length))
    expect(r.errors).toEqual([])
    expect(code).toBe(0)
    expect(r.windows).toHaveLength(1)
    expect(r.windows[0]).toMatchObject({ htmlExists: true, preloadExists: true, webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false } })
    expect(r.windows[0].url).toMatch(/^file:\/\/.*\/out\/renderer\/index\.html$/)
    expect(r.ipc.session.result.user).toEqual({ username: 'local', role: 'admin' })
    expect(r.ipc.status.result.engines.store.state).toBe('running')
    expect(r.ipc.desktop.result.update.state).toBe('disabled')
    expect(r.ipc.untrusted.error.code).toBe('forbidden')
    expect(r.lanHealth).toBe(200)
    expect(r.trays).toBe(1)
    expect(r.trayMenu).toEqual(expect.arrayContaining(['Open Pitwall', 'Quit Pitwall']))
    expect(r.menu).toBe(true)
    expect(r.protocols).toEqual(['pitwall'])
  })
})

describe('out/preload/index.cjs', () => {
  it('is CommonJS a sandboxed preload can run: only require("electron"), exposes only window.pitwall', () => {
    const code = readFileSync(join(ROOT, 'out/preload/index.cjs'), 'utf8')
    expect(code).not.toMatch(/^\s*(import|export)\s/m)
    const exposed: Record<string, Record<string, unknown>> = {}
    const required: string[] = []
    const ipcRenderer = Object.assign(new EventEmitter(), { invoke: async () => ({ ok: true, result: null }) })
    const fakeRequire = (id: string) => {
      required.push(id)
      if (id !== 'electron') throw new Error(`a sandboxed preload cannot require ${id}`)
      return { contextBridge: { exposeInMainWorld: (k: string, v: Record<string, unknown>) => (exposed[k] = v) }, ipcRenderer }
    }
    const mod = { exports: {} }
    new Function('require', 'module', 'exports', 'process', code)(fakeRequire, mod, mod.exports, { platform: 'linux' })
    expect([...new Set(required)]).toEqual(['electron'])
    expect(Object.keys(exposed)).toEqual(['pitwall'])
    expect(Object.keys(exposed.pitwall!).sort()).toEqual(['call', 'onEvent', 'onNavigate', 'platform', 'subscribe', 'unsubscribe'])
  })
})
