import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseConfig } from '../../../src/main/config/index.ts'
import { silentLogger } from '../../../src/main/log/index.ts'
import { Store } from '../../../src/main/store/index.ts'

vi.mock('electron', () => import('./electron-mock.ts'))

const { Notification } = await import('./electron-mock.ts')
const { Notifier } = await import('../../../src/main/desktop/notify.ts')
const { DesktopSettingsStore } = await import('../../../src/main/desktop/settings.ts')
const { appMenuTemplate } = await import('../../../src/main/desktop/menu.ts')

describe('notifications', () => {
  beforeEach(() => {
    Notification.shown = []
    Notification.supported = true
  })
  const settings = { muted: false, directMessages: true, flagChanges: false }
  const n = new Notifier(() => settings, () => undefined)

  it('shows a DM, not a switched-off flag change, nothing when muted', () => {
    expect(n.notify({ kind: 'dm', title: 'From Anna', body: 'Box this lap' }, 1000)).toBe(true)
    expect(n.notify({ kind: 'flag', title: 'Flag: red', body: 'Session stopped' }, 1000)).toBe(false)
    settings.muted = true
    expect(n.notify({ kind: 'dm', title: 'From Anna', body: 'again' }, 2000)).toBe(false)
    settings.muted = false
    expect(Notification.shown).toEqual([{ title: 'From Anna', body: 'Box this lap', silent: false }])
  })

  it('coalesces the same notification within 2 s and trims long text', () => {
    expect(n.notify({ kind: 'dm', title: 'T', body: 'B' }, 10_000)).toBe(true)
    expect(n.notify({ kind: 'dm', title: 'T', body: 'B' }, 11_000)).toBe(false)
    expect(n.notify({ kind: 'dm', title: 'T', body: 'B' }, 12_500)).toBe(true)
    n.notify({ kind: 'info', title: 'x'.repeat(500), body: 'y'.repeat(5000) }, 20_000)
    expect(Notification.shown.at(-1)!.title.length).toBe(120)
    expect(Notification.shown.at(-1)!.body.length).toBe(400)
  })

  it('does nothing where the OS has no notifications', () => {
    Notification.supported = false
    expect(n.notify({ kind: 'dm', title: 'T2', body: 'B2' }, 30_000)).toBe(false)
  })
})

describe('desktop settings', () => {
  let dir: string
  let store: Store
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pitwall-desk-'))
    store = new Store(dir, silentLogger())
  })
  afterEach(() => {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('starts from config.desktop, keeps changes in the database over restarts, refuses bad values', () => {
    const config = parseConfig({ desktop: { closeToTray: false, startMinimized: true } }).desktop
    const s = new DesktopSettingsStore(store, config)
    expect(s.get()).toEqual({ closeToTray: false, startMinimized: true, openAtLogin: false, notifyDirectMessages: true, notifyFlagChanges: true, muted: false })
    const seen: unknown[] = []
    s.onChange((v) => seen.push(v.muted))
    s.set({ closeToTray: true, muted: true })
    expect(seen).toEqual([true])
    expect(() => s.set({ muted: 'yes' })).toThrow()
    expect(() => s.set({ unknown: true })).toThrow()
    const again = new DesktopSettingsStore(store, config)
    expect(again.get()).toMatchObject({ closeToTray: true, muted: true, startMinimized: true })
  })
})

describe('application menu', () => {
  const actions = { about: vi.fn(), openDataFolder: vi.fn(), openWebUi: vi.fn(), checkForUpdates: vi.fn(), showPage: vi.fn() }
  it('uses the standard roles on every platform, with an About entry', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const menu = appMenuTemplate(platform, actions)
      const roles = menu.map((m) => m.role)
      expect(roles).toEqual(expect.arrayContaining(['fileMenu', 'editMenu', 'viewMenu', 'windowMenu', 'help']))
      if (platform === 'darwin') expect(roles[0]).toBe('appMenu')
      const all = menu.flatMap((m) => (Array.isArray(m.submenu) ? m.submenu : []))
      const about = all.find((i) => i.label === 'About Pitwall')!
      ;(about.click as () => void)()
      const timing = all.find((i) => i.label === 'Timing')!
      expect(timing.accelerator).toBe('CmdOrCtrl+1')
      ;(timing.click as () => void)()
    }
    expect(actions.about).toHaveBeenCalledTimes(3)
    expect(actions.showPage).toHaveBeenCalledWith('timing')
  })
})
