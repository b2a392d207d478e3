import type { Config } from '../config/index.ts'
import type { Store } from '../store/index.ts'
import { type DesktopSettings, desktopSettingsPatch } from '../../shared/ui-api/index.ts'

// Desktop settings: config.desktop gives the defaults; what the person changes in the window is kept
// in the database (and wins over the config file from then on).

const KEY = 'desktop.settings'

export class DesktopSettingsStore {
  #store: Store
  #value: DesktopSettings
  #listeners = new Set<(s: DesktopSettings) => void>()

  constructor(store: Store, config: Config['desktop']) {
    this.#store = store
    const saved = desktopSettingsPatch.safeParse(store.getSetting(KEY) ?? {})
    this.#value = {
      closeToTray: config.closeToTray,
      startMinimized: config.startMinimized,
      openAtLogin: config.openAtLogin,
      notifyDirectMessages: true,
      notifyFlagChanges: true,
      muted: false,
      ...(saved.success ? saved.data : {}),
    }
  }

  get(): DesktopSettings {
    return { ...this.#value }
  }

  /** Applies a validated patch; throws the zod error on a bad one. */
  set(patch: unknown): DesktopSettings {
    const p = desktopSettingsPatch.parse(patch)
    this.#value = { ...this.#value, ...p }
    const saved = (desktopSettingsPatch.safeParse(this.#store.getSetting(KEY) ?? {}).data ?? {}) as Partial<DesktopSettings>
    this.#store.setSetting(KEY, { ...saved, ...p })
    for (const l of this.#listeners) l(this.get())
    return this.get()
  }

  onChange(listener: (s: DesktopSettings) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
