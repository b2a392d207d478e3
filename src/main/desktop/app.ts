import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, Menu, nativeImage, session, shell, Tray } from 'electron'
import { LOCAL_ADMIN } from '../../shared/auth.ts'
import type { DesktopInfo, StatusInfo } from '../../shared/ui-api/index.ts'
import { ConfigError, defaultDataDir, loadConfig } from '../config/index.ts'
import { type Core, createCore } from '../core/index.ts'
import { LanError } from '../lan/index.ts'
import { UiError } from '../uiapi/index.ts'
import { deepLinkFromArgv, parseDeepLink, PROTOCOL } from './deeplink.ts'
import { type Feeds, followFeeds, type LiveFacts } from './feeds.ts'
import { IPC, mountIpcUiApi } from './ipc.ts'
import { appMenuTemplate } from './menu.ts'
import { Notifier } from './notify.ts'
import { hardenSession, hardenWebContents, isAppUrl } from './security.ts'
import { DesktopSettingsStore } from './settings.ts'
import { type TrayState, trayIconName, trayMenuTemplate, trayStateFrom, tooltip } from './tray-state.ts'
import { UpdateController, type UpdaterLike } from './updater.ts'
import { createMainWindow } from './window.ts'

// The Electron shell: a thin host around the same core `pitwall serve` runs. It owns the window,
// the tray, the menu, notifications, deep links and updates; everything else is the core's.

const here = dirname(fileURLToPath(import.meta.url))
const PRELOAD = join(here, '../preload/index.cjs')
const RENDERER = join(here, '../renderer')
const APP_URL = pathToFileURL(join(RENDERER, 'index.html')).href
const ctx = { principal: LOCAL_ADMIN, transport: 'ipc' as const }

export async function runDesktop(): Promise<void> {
  // One data folder for the desktop app and `pitwall serve` on this machine (same users, same database).
  app.setPath('userData', defaultDataDir())
  // Single instance: a second launch hands its arguments (maybe a deep link) to this one and exits.
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  app.setAppUserModelId('app.pitwall.desktop')
  registerProtocol()
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents, APP_URL))

  let win: BrowserWindow | undefined
  let pendingHash: string | null = null
  let quitting = false
  const show = (hash?: string | null) => {
    if (!win || win.isDestroyed()) return
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
    if (hash) win.webContents.send(IPC.navigate, hash)
  }
  const followLink = (raw: string | undefined) => {
    if (!raw) return
    const link = parseDeepLink(raw)
    if (!link.ok) return
    if (win) show(link.hash)
    else pendingHash = link.hash
  }
  app.on('second-instance', (_e, argv) => {
    show()
    followLink(deepLinkFromArgv(argv))
  })
  app.on('open-url', (event, url) => {
    event.preventDefault()
    followLink(url)
  })
  followLink(deepLinkFromArgv(process.argv))

  await app.whenReady()
  hardenSession(session.defaultSession)

  let core: Core
  try {
    core = await startCore()
  } catch (err) {
    const message = err instanceof LanError || err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err)
    dialog.showErrorBox('Pitwall cannot start', message)
    app.exit(2)
    return
  }
  const log = core.ctx.log.child({ area: 'desktop' })
  const settings = new DesktopSettingsStore(core.ctx.store, core.ctx.config.desktop)
  setOpenAtLogin(settings.get().openAtLogin)
  const ipc = mountIpcUiApi({ ipcMain, router: core.ctx.ui, isTrusted: (e: IpcMainInvokeEvent) => trustedSender(e), log })

  const updates = new UpdateController({ ...(await loadUpdater()), feedUrl: core.ctx.config.updates.feedUrl, channel: core.ctx.config.updates.channel, log })
  const notifier = new Notifier(() => {
    const s = settings.get()
    return { muted: s.muted, directMessages: s.notifyDirectMessages, flagChanges: s.notifyFlagChanges }
  }, () => show())

  // --- window
  // Started at login: straight to the tray (Windows passes --hidden; macOS reports wasOpenedAtLogin).
  const startHidden = settings.get().startMinimized || process.argv.includes(HIDDEN_FLAG) || app.getLoginItemSettings().wasOpenedAtLogin
  win = createMainWindow({
    preload: PRELOAD,
    appUrl: APP_URL,
    icon: resource('icons/256x256.png'),
    show: !startHidden,
    store: core.ctx.store,
    hideOnClose: () => !quitting && settings.get().closeToTray,
  })
  if (pendingHash) win.webContents.once('did-finish-load', () => show(pendingHash))

  // --- desktop section of the UI API (IPC only: a LAN browser must not restart this machine's app)
  const info = (): DesktopInfo => ({ version: core.ctx.version, platform: process.platform, update: updates.state, settings: settings.get() })
  const ipcOnly = (c: { transport: string }) => {
    if (c.transport !== 'ipc') throw new UiError('forbidden', 'Only the desktop window can do this')
  }
  core.ctx.ui.handle('desktop.get', 'System_r', (_p, c) => (ipcOnly(c), info()))
  core.ctx.ui.handle('desktop.settings.set', 'System_rw', (p, c) => {
    ipcOnly(c)
    const s = settings.set(p)
    if (p.openAtLogin !== undefined) setOpenAtLogin(s.openAtLogin)
    return s
  })
  core.ctx.ui.handle('desktop.update.check', 'System_rw', (_p, c) => (ipcOnly(c), updates.check()))
  core.ctx.ui.handle('desktop.update.download', 'System_rw', (_p, c) => (ipcOnly(c), updates.download()))
  core.ctx.ui.handle('desktop.update.install', 'System_rw', (_p, c) => {
    ipcOnly(c)
    if (!updates.install()) throw new UiError('conflict', 'No update has been downloaded')
    quitting = true
    return { ok: true as const }
  })
  core.ctx.ui.topic('desktop', 'System_r', (_p, c, emit) => {
    ipcOnly(c)
    emit(info())
    const offU = updates.onChange(() => emit(info()))
    const offS = settings.onChange(() => emit(info()))
    return () => {
      offU()
      offS()
    }
  })

  // --- tray: state at a glance, status lines, quick actions
  let status: StatusInfo | null = null
  let trayState: TrayState = trayStateFrom(null)
  const tray = new Tray(trayImage(trayState))
  // Topics may send their first value while subscribing: everything the callback touches exists before.
  let liveFacts: LiveFacts = {}
  let feeds: Feeds | undefined
  let shown = ''
  feeds = followFeeds(core.ctx.ui, ctx, (facts, before) => {
    liveFacts = facts
    refreshTray()
    if (facts.flag && facts.flag !== before.flag && facts.flag !== 'none' && before.flag !== undefined) {
      notifier.notify({ kind: 'flag', title: `Flag: ${facts.flag}`, body: status?.engines.timing?.detail ?? 'The track flag changed' })
    }
  }, (err) => log.error({ err }, 'tray update failed'))
  function refreshTray() {
    trayState = trayStateFrom(status, liveFacts)
    // Status arrives every few seconds: rebuild only on a change (a rebuilt menu closes an open one on Linux).
    const key = JSON.stringify([trayState, settings.get().muted, updates.state, status?.url, !!feeds?.setRecording])
    if (key === shown) return
    shown = key
    tray.setImage(trayImage(trayState))
    tray.setToolTip(tooltip(trayState, core.ctx.config.name))
    tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenuTemplate(trayState, { version: core.ctx.version, muted: settings.get().muted, update: updates.state, url: status?.url }, {
          open: () => show(),
          quit: () => app.quit(),
          setMuted: (muted) => settings.set({ muted }),
          ...(feeds?.setRecording ? { setRecording: (on: boolean) => void feeds!.setRecording!(on).catch((err: Error) => log.warn({ err: err.message }, 'recording from the tray failed')) } : {}),
          installUpdate: () => {
            quitting = true
            updates.install()
          },
        }),
      ),
    )
  }
  tray.on('click', () => show())
  refreshTray()
  const offStatus = core.ctx.ui.subscribe('status', {}, ctx, (s) => {
    status = s as StatusInfo
    refreshTray()
  })
  settings.onChange(refreshTray)
  updates.onChange((u) => {
    refreshTray()
    if (u.state === 'downloaded') notifier.notify({ kind: 'update', title: `Pitwall ${u.version} is ready`, body: 'Restart to update (Settings, or the tray menu).' })
  })
  const onNotify = (m: { kind: 'dm' | 'flag' | 'info'; title: string; body: string }) => notifier.notify(m)
  core.ctx.events.on('notify', onNotify)

  // --- menu, about
  app.setAboutPanelOptions({ applicationName: 'Pitwall', applicationVersion: core.ctx.version, copyright: 'MIT licensed', website: core.url })
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate(process.platform, {
        about: () => app.showAboutPanel(),
        openDataFolder: () => void shell.openPath(core.ctx.dataDir),
        openWebUi: () => void shell.openExternal(core.url),
        checkForUpdates: () => {
          show('#/settings')
          void updates.check()
        },
        showPage: (p) => show(`#/${p}`),
      }),
    ),
  )
  updates.start()

  // The LAN servers keep running while the window is hidden; they stop when the app quits.
  app.on('activate', () => show())
  app.on('window-all-closed', () => {
    if (!settings.get().closeToTray) app.quit()
  })
  app.on('before-quit', () => {
    quitting = true
  })
  let stopped = false
  app.on('will-quit', (event) => {
    if (stopped) return
    event.preventDefault()
    offStatus()
    feeds?.stop()
    core.ctx.events.off('notify', onNotify)
    updates.stop()
    ipc.close()
    tray.destroy()
    core.stop().finally(() => {
      stopped = true
      log.info('desktop shell stopped')
      app.quit()
    })
  })
}

/** Config as for `pitwall serve` (env PITWALL_*, <userData>/config.json), data in the OS app-data folder. */
async function startCore(): Promise<Core> {
  const userData = app.getPath('userData')
  const file = process.env.PITWALL_CONFIG ?? (existsSync(join(userData, 'config.json')) ? join(userData, 'config.json') : undefined)
  const config = loadConfig({ file })
  if (!config.dataDir) config.dataDir = userData
  return createCore(config, { webRoot: RENDERER })
}

/** Only our own page, in the main frame, may use the UI API over IPC. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame
  return !!frame && frame.parent === null && isAppUrl(frame.url, APP_URL)
}

const HIDDEN_FLAG = '--hidden'

function setOpenAtLogin(on: boolean): void {
  app.setLoginItemSettings({ openAtLogin: on, args: [HIDDEN_FLAG] })
}

function registerProtocol(): void {
  // In development Electron runs as `electron .`: register with the script path so the OS can relaunch it.
  if (process.defaultApp && process.argv.length >= 2) app.setAsDefaultProtocolClient(PROTOCOL, process.execPath, [process.argv[1]!])
  else app.setAsDefaultProtocolClient(PROTOCOL)
}

function resource(rel: string): string {
  return join(app.getAppPath(), 'resources', rel)
}

/** Colour images on every platform (the flag colour is the point, so no macOS template image). */
function trayImage(s: TrayState) {
  return nativeImage.createFromPath(resource(`tray/${trayIconName(s)}`))
}

/** electron-updater, when this is an installed build (it needs app-update.yml from the packager). */
async function loadUpdater(): Promise<{ updater: UpdaterLike | null; disabledReason?: string }> {
  if (!app.isPackaged) return { updater: null, disabledReason: 'Updates work only in an installed build' }
  if (process.platform === 'linux' && !process.env.APPIMAGE && !existsSync('/etc/debian_version')) {
    return { updater: null, disabledReason: 'Updates need the AppImage or deb build' }
  }
  try {
    // CommonJS package: take the default export (electron-builder issue #7976).
    const mod = (await import('electron-updater')) as unknown as { default?: { autoUpdater: UpdaterLike }; autoUpdater?: UpdaterLike }
    return { updater: (mod.default?.autoUpdater ?? mod.autoUpdater)! }
  } catch (err) {
    return { updater: null, disabledReason: `Updater unavailable: ${(err as Error).message}` }
  }
}
