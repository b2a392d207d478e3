import { BrowserWindow, screen } from 'electron'
import type { Store } from '../store/index.ts'
import { hardenWebContents, secureWebPreferences } from './security.ts'
import { DEFAULT_SIZE, MIN_SIZE, parseWindowState, restoreBounds, type WindowState } from './window-state.ts'

const KEY = 'desktop.window'

export interface MainWindowOptions {
  preload: string
  /** file:// URL of out/renderer/index.html */
  appUrl: string
  icon?: string
  show: boolean
  store: Store
  /** Asked on close: true keeps the app in the tray (the window only hides). */
  hideOnClose(): boolean
}

/** The main window: hardened, at its remembered place, hidden to the tray on close when configured. */
export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const saved = parseWindowState(opts.store.getSetting(KEY))
  const bounds = restoreBounds(saved, screen.getAllDisplays().map((d) => d.workArea))
  const win = new BrowserWindow({
    ...DEFAULT_SIZE,
    ...(bounds ?? {}),
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'Pitwall',
    ...(opts.icon ? { icon: opts.icon } : {}),
    backgroundColor: '#111418',
    webPreferences: secureWebPreferences(opts.preload),
  })
  hardenWebContents(win.webContents, opts.appUrl)
  if (saved?.maximized) win.maximize()
  win.once('ready-to-show', () => {
    if (opts.show) win.show()
  })

  let timer: ReturnType<typeof setTimeout> | undefined
  const save = () => {
    if (win.isDestroyed() || win.isMinimized()) return
    const state: WindowState = { bounds: win.isMaximized() ? (saved?.bounds ?? win.getNormalBounds()) : win.getNormalBounds(), maximized: win.isMaximized() }
    try {
      opts.store.setSetting(KEY, state)
    } catch {
      /* the store is already closed (quitting): the last saved place stays */
    }
  }
  const saveSoon = () => {
    clearTimeout(timer)
    timer = setTimeout(save, 500)
  }
  win.on('resize', saveSoon)
  win.on('move', saveSoon)
  win.on('close', (event) => {
    clearTimeout(timer)
    save()
    if (opts.hideOnClose()) {
      event.preventDefault()
      win.hide()
    }
  })
  void win.loadURL(opts.appUrl)
  return win
}
