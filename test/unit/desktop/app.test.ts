import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

// The whole Electron shell with `electron` mocked and a real core behind it: the window, the IPC
// adapter, the tray, close-to-tray, deep links and a clean quit.

vi.mock('electron', () => import('./electron-mock.ts'))

const E = await import('./electron-mock.ts')
const { runDesktop } = await import('../../../src/main/desktop/app.ts')
const { IPC } = await import('../../../src/main/desktop/ipc.ts')

let dataDir: string
let adminPassword = ''
const saved = { ...process.env }

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-desktop-'))
  for (const k of Object.keys(process.env)) if (k.startsWith('PITWALL_')) delete process.env[k]
  Object.assign(process.env, { PITWALL_DATA_DIR: dataDir, PITWALL_PORT: '0', PITWALL_HOST: '127.0.0.1', PITWALL_LOG_TO_CONSOLE: 'false', PITWALL_TIMING__SOURCE: 'none' })
  E.app.userData = dataDir
  await runDesktop()
})

afterAll(() => {
  process.env = saved
  rmSync(dataDir, { recursive: true, force: true })
})

const win = () => E.BrowserWindow.instances[0]!
const appEvent = (url = win().loadedUrl!) => ({ sender: win().webContents, senderFrame: { url, parent: null } })

describe('desktop shell (electron mocked)', () => {
  it('opens one hardened window on the built renderer file', () => {
    expect(E.BrowserWindow.instances).toHaveLength(1)
    const prefs = win().options.webPreferences
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true })
    expect(prefs.preload).toMatch(/preload[/\\]index\.cjs$/)
    expect(win().loadedUrl).toMatch(/^file:\/\/.*renderer\/index\.html$/)
    expect(win().visible).toBe(true)
    // The session is hardened: remote content is cancelled.
    let r: { cancel: boolean } | undefined
    E.session.defaultSession.beforeRequest!({ url: 'https://example.com/x.js' }, (x) => (r = x))
    expect(r).toEqual({ cancel: true })
    expect(E.app.protocols).toEqual(['pitwall'])
  })

  it('serves the UI API over IPC as the local admin, including the first-run password once', async () => {
    const first = (await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'session.get', params: {} })) as { ok: true; result: { user: unknown; firstRunPassword?: string } }
    expect(first.result.user).toEqual({ username: 'local', role: 'admin' })
    expect(first.result.firstRunPassword).toMatch(/^\w{5}-\w{5}-\w{5}$/)
    adminPassword = first.result.firstRunPassword!
    const second = (await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'session.get', params: {} })) as { result: { firstRunPassword?: string } }
    expect(second.result.firstRunPassword).toBeUndefined()
    const status = (await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'status.get', params: {} })) as { ok: true; result: { url: string } }
    expect((await fetch(`${status.result.url}/healthz`)).status).toBe(200)
    const desk = (await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'desktop.get', params: {} })) as { ok: true; result: { update: { state: string } } }
    expect(desk.result.update).toEqual({ state: 'disabled', reason: 'Updates work only in an installed build' })
    // Another page (or a frame) cannot use it.
    expect(await E.ipcMain.invoke(IPC.call, appEvent('https://evil.example/'), { method: 'status.get', params: {} })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('keeps the desktop section away from LAN browsers', async () => {
    const status = (await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'status.get', params: {} })) as { result: { url: string } }
    const login = (await (await fetch(`${status.result.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) })).json()) as { token: string }
    const ws = new WebSocket(`${status.result.url.replace('http', 'ws')}/ui?token=${login.token}`)
    const replies: Array<{ t: string; id?: number; error?: { code: string } }> = []
    ws.onmessage = (e) => replies.push(JSON.parse(String(e.data)))
    await vi.waitFor(() => expect(replies[0]?.t).toBe('hello'))
    ws.send(JSON.stringify({ t: 'call', id: 1, method: 'desktop.update.install', params: {} }))
    ws.send(JSON.stringify({ t: 'sub', id: 2, topic: 'desktop', params: {} }))
    await vi.waitFor(() => expect(replies.length).toBe(3))
    ws.close()
    // Even an admin on the LAN cannot restart this machine's app or read its desktop state.
    expect(replies.slice(1).map((r) => [r.id, r.error?.code]).sort()).toEqual([[1, 'forbidden'], [2, 'forbidden']])
  })

  it('shows status lines and quick actions in the tray', () => {
    const tray = E.Tray.instances[0]!
    const labels = tray.menu!.template.map((i: { label?: string }) => i.label)
    expect(labels).toEqual(expect.arrayContaining(['Open Pitwall', 'Mute notifications', 'Quit Pitwall']))
    expect(labels.some((l: string | undefined) => l?.startsWith('LAN: http://127.0.0.1:'))).toBe(true)
    expect(tray.tooltip).toContain('Pitwall')
    expect(E.Menu.applicationMenu!.template.map((m: { role?: string }) => m.role)).toContain('editMenu')
  })

  it('follows the simulated camera controller and records from the tray', async () => {
    const tray = E.Tray.instances[0]!
    const item = () => tray.menu!.template.find((i: { label?: string }) => /^(Start|Stop) recording$/.test(i.label ?? ''))
    await vi.waitFor(() => expect(item().enabled).toBe(true), { timeout: 5000 })
    expect(tray.tooltip).toContain('Device: connected')
    const before = item().label
    item().click()
    // The controller confirms, the camera topic reports it, the tray flips.
    await vi.waitFor(() => expect(item().label).not.toBe(before), { timeout: 5000 })
    item().click()
    await vi.waitFor(() => expect(item().label).toBe(before), { timeout: 5000 })
  })

  it('mute from the tray is a saved setting', async () => {
    const tray = E.Tray.instances[0]!
    tray.menu!.template.find((i: { label?: string }) => i.label === 'Mute notifications').click()
    const desk = (await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'desktop.get', params: {} })) as { result: { settings: { muted: boolean } } }
    expect(desk.result.settings.muted).toBe(true)
  })

  it('closing the window hides it to the tray (the LAN server keeps running)', async () => {
    expect(win().userClose()).toBe(true)
    expect(win().visible).toBe(false)
    const status = (await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'status.get', params: {} })) as { result: { url: string } }
    expect((await fetch(`${status.result.url}/healthz`)).status).toBe(200)
  })

  it('a second launch with a deep link brings the window back on that page', () => {
    E.app.emit('second-instance', {}, ['/opt/Pitwall/pitwall', 'pitwall://event/3/car/12'])
    expect(win().visible).toBe(true)
    expect(win().webContents.sent.at(-1)).toEqual([IPC.navigate, '#/timing?event=3&car=12'])
    E.app.emit('second-instance', {}, ['/opt/Pitwall/pitwall', 'pitwall://drop/tables'])
    expect(win().webContents.sent.at(-1)).toEqual([IPC.navigate, '#/timing?event=3&car=12'])
  })

  it('desktop settings change over IPC and are checked', async () => {
    expect(await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'desktop.settings.set', params: { openAtLogin: true } })).toMatchObject({ ok: true, result: { openAtLogin: true } })
    expect(E.app.loginItems).toEqual({ openAtLogin: true, args: ['--hidden'] })
    expect(await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'desktop.settings.set', params: { openAtLogin: 'yes' } })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    expect(await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'desktop.update.install', params: {} })).toMatchObject({ ok: false, error: { code: 'conflict' } })
  })

  it('quitting stops the core and then really quits', async () => {
    const status = (await E.ipcMain.invoke(IPC.call, appEvent(), { method: 'status.get', params: {} })) as { result: { url: string } }
    const quits = E.app.quitCalls
    E.app.quit()
    // The first quit is held back until the core has stopped, then quit is called again.
    await vi.waitFor(() => expect(E.app.quitCalls).toBe(quits + 2), { timeout: 5000 })
    await expect(fetch(`${status.result.url}/healthz`)).rejects.toThrow()
    expect(E.Tray.instances[0]!.destroyed).toBe(true)
    expect(win().userClose()).toBe(false) // quitting: the window really closes
  })
})

describe('single instance', () => {
  it('a second instance quits at once without opening anything', async () => {
    E.app.lock = false
    const windows = E.BrowserWindow.instances.length
    const quits = E.app.quitCalls
    await runDesktop()
    expect(E.app.quitCalls).toBe(quits + 1)
    expect(E.BrowserWindow.instances.length).toBe(windows)
  })
})
