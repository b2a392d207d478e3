import { z } from 'zod'
import { type ApiSection, command, topic } from './define.ts'

// The desktop section: only the Electron shell registers these (over IPC only); in a browser they
// answer unknown_method and the Settings page leaves the desktop part out.

export type UpdateState =
  | { state: 'disabled'; reason: string }
  | { state: 'idle'; lastCheck?: number }
  | { state: 'checking' }
  | { state: 'up-to-date'; lastCheck: number }
  | { state: 'available'; version: string }
  | { state: 'downloading'; version: string; percent: number; bytesPerSecond?: number }
  | { state: 'downloaded'; version: string }
  | { state: 'error'; message: string; lastCheck?: number }

export interface DesktopSettings {
  /** Closing the window keeps Pitwall (and its LAN servers) running in the tray. */
  closeToTray: boolean
  startMinimized: boolean
  openAtLogin: boolean
  notifyDirectMessages: boolean
  notifyFlagChanges: boolean
  /** Silences every notification. */
  muted: boolean
}

export interface DesktopInfo {
  version: string
  platform: string
  update: UpdateState
  settings: DesktopSettings
}

export const desktopSettingsPatch = z
  .object({
    closeToTray: z.boolean(),
    startMinimized: z.boolean(),
    openAtLogin: z.boolean(),
    notifyDirectMessages: z.boolean(),
    notifyFlagChanges: z.boolean(),
    muted: z.boolean(),
  })
  .partial()
  .strict()

export const desktopApi = {
  commands: {
    'desktop.get': command(z.object({}).strict()).returns<DesktopInfo>(),
    'desktop.settings.set': command(desktopSettingsPatch).returns<DesktopSettings>(),
    'desktop.update.check': command(z.object({}).strict()).returns<UpdateState>(),
    /** Starts downloading an available update (when automatic download is off). */
    'desktop.update.download': command(z.object({}).strict()).returns<UpdateState>(),
    /** Quits and installs a downloaded update. */
    'desktop.update.install': command(z.object({}).strict()).returns<{ ok: true }>(),
  },
  topics: {
    desktop: topic(z.object({}).strict()).emits<DesktopInfo>(),
  },
} satisfies ApiSection
