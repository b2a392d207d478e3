import { EventEmitter } from 'node:events'
import { vi } from 'vitest'

// A stand-in for the 'electron' module (the binary cannot run here). Tests use it with
// `vi.mock('electron', () => import('./electron-mock.ts'))` and inspect what the shell did.

export class FakeWebContents extends EventEmitter {
  static nextId = 1
  id = FakeWebContents.nextId++
  sent: Array<[string, unknown]> = []
  windowOpenHandler: ((d: { url: string }) => { action: string }) | undefined
  destroyed = false
  loaded: string[] = []
  session = fakeSession()
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload])
  }
  isDestroyed() {
    return this.destroyed
  }
  setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
    this.windowOpenHandler = fn
  }
  destroy() {
    this.destroyed = true
    this.emit('destroyed')
  }
}

export class BrowserWindow extends EventEmitter {
  static instances: BrowserWindow[] = []
  options: Record<string, any>
  webContents = new FakeWebContents()
  visible = false
  bounds = { x: 10, y: 10, width: 1280, height: 820 }
  maximized = false
  loadedUrl: string | undefined
  constructor(options: Record<string, any>) {
    super()
    this.options = options
    BrowserWindow.instances.push(this)
  }
  async loadURL(url: string) {
    this.loadedUrl = url
    this.emit('ready-to-show')
  }
  show() {
    this.visible = true
  }
  hide() {
    this.visible = false
  }
  focus() {}
  restore() {}
  maximize() {
    this.maximized = true
  }
  isMaximized() {
    return this.maximized
  }
  isMinimized() {
    return false
  }
  isDestroyed() {
    return false
  }
  isVisible() {
    return this.visible
  }
  getNormalBounds() {
    return this.bounds
  }
  /** Simulates the user closing the window; returns whether it was prevented. */
  userClose(): boolean {
    let prevented = false
    this.emit('close', { preventDefault: () => (prevented = true) })
    return prevented
  }
}

function fakeSession() {
  return {
    permissionRequest: undefined as undefined | ((wc: unknown, perm: string, cb: (ok: boolean) => void) => void),
    permissionCheck: undefined as undefined | (() => boolean),
    beforeRequest: undefined as undefined | ((d: { url: string }, cb: (r: { cancel: boolean }) => void) => void),
    headersReceived: undefined as undefined | ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void),
    setPermissionRequestHandler(fn: any) {
      this.permissionRequest = fn
    },
    setPermissionCheckHandler(fn: any) {
      this.permissionCheck = fn
    },
    webRequest: {
      onBeforeRequest: (fn: any) => {
        session.defaultSession.beforeRequest = fn
      },
      onHeadersReceived: (fn: any) => {
        session.defaultSession.headersReceived = fn
      },
    },
  }
}

export const session = { defaultSession: fakeSession() }

class FakeIpcMain {
  handlers = new Map<string, (event: any, ...args: any[]) => any>()
  handle(channel: string, fn: (event: any, ...args: any[]) => any) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`)
    this.handlers.set(channel, fn)
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel)
  }
  /** Calls a handler as the renderer's ipcRenderer.invoke would. */
  invoke(channel: string, event: any, ...args: any[]) {
    const fn = this.handlers.get(channel)
    if (!fn) throw new Error(`no handler for ${channel}`)
    return fn(event, ...args)
  }
}
export const ipcMain = new FakeIpcMain()

class FakeApp extends EventEmitter {
  isPackaged = false
  lock = true
  userData = ''
  protocols: string[] = []
  loginItems: Record<string, unknown> = {}
  quitCalls = 0
  exitCode: number | undefined
  requestSingleInstanceLock() {
    return this.lock
  }
  setAppUserModelId() {}
  setAsDefaultProtocolClient(p: string) {
    this.protocols.push(p)
    return true
  }
  whenReady() {
    return Promise.resolve()
  }
  paths: Record<string, string> = {}
  setPath(name: string, value: string) {
    this.paths[name] = value
  }
  getPath(name: string) {
    if (name !== 'userData') throw new Error(`unexpected getPath(${name})`)
    return this.userData
  }
  getAppPath() {
    return process.cwd()
  }
  getVersion() {
    return '0.1.0'
  }
  setLoginItemSettings(s: Record<string, unknown>) {
    this.loginItems = s
  }
  getLoginItemSettings() {
    return { openAtLogin: false, wasOpenedAtLogin: false }
  }
  setAboutPanelOptions() {}
  showAboutPanel() {}
  quit() {
    this.quitCalls++
    this.emit('before-quit')
    let prevented = false
    this.emit('will-quit', { preventDefault: () => (prevented = true) })
    if (!prevented) this.emit('quit')
  }
  exit(code: number) {
    this.exitCode = code
  }
}
export const app = new FakeApp()

export class Tray extends EventEmitter {
  static instances: Tray[] = []
  image: unknown
  tooltip = ''
  menu: { template: any[] } | undefined
  destroyed = false
  constructor(image: unknown) {
    super()
    this.image = image
    Tray.instances.push(this)
  }
  setImage(i: unknown) {
    this.image = i
  }
  setToolTip(t: string) {
    this.tooltip = t
  }
  setContextMenu(m: { template: any[] }) {
    this.menu = m
  }
  destroy() {
    this.destroyed = true
  }
}

export const Menu = {
  applicationMenu: undefined as undefined | { template: any[] },
  buildFromTemplate: (template: any[]) => ({ template }),
  setApplicationMenu(m: { template: any[] }) {
    Menu.applicationMenu = m
  },
}

export const nativeImage = {
  createFromPath: (path: string) => ({ path, setTemplateImage() {} }),
}

export const screen = {
  getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
}

export const shell = { openExternal: vi.fn(async () => undefined), openPath: vi.fn(async () => '') }
export const dialog = { showErrorBox: vi.fn() }

export class Notification extends EventEmitter {
  static shown: Array<{ title: string; body: string }> = []
  static supported = true
  static isSupported() {
    return Notification.supported
  }
  opts: { title: string; body: string }
  constructor(opts: { title: string; body: string }) {
    super()
    this.opts = opts
  }
  show() {
    Notification.shown.push(this.opts)
  }
}

export const contextBridge = { exposed: {} as Record<string, unknown>, exposeInMainWorld(key: string, api: unknown) {
  contextBridge.exposed[key] = api
} }

class FakeIpcRenderer extends EventEmitter {
  invoked: Array<[string, unknown]> = []
  async invoke(channel: string, payload: unknown) {
    this.invoked.push([channel, payload])
    return { ok: true, result: null }
  }
}
export const ipcRenderer = new FakeIpcRenderer()

export default { app, BrowserWindow, ipcMain, ipcRenderer, contextBridge, session, Tray, Menu, nativeImage, screen, shell, dialog, Notification }
