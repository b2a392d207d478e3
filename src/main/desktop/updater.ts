import type { UpdateState } from '../../shared/ui-api/index.ts'
import type { Logger } from '../log/index.ts'

// Auto-updates: a small state machine over electron-updater (generic provider). It checks at start and
// every few hours, downloads in the background, then offers "restart to update". It never throws into
// the app: every failure becomes the 'error' state with a plain message, and the next check retries.

/** The part of electron-updater's AppUpdater used here (so tests can hand in a fake or a real one). */
export interface UpdaterLike {
  autoDownload: boolean
  autoInstallOnAppQuit: boolean
  allowPrerelease: boolean
  allowDowngrade: boolean
  channel: string | null
  setFeedURL(options: { provider: 'generic'; url: string; channel?: string }): void
  checkForUpdates(): Promise<unknown>
  downloadUpdate(): Promise<unknown>
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void
  on(event: string, listener: (...args: any[]) => void): unknown
}

export interface UpdateOptions {
  /** null: updates are off (e.g. not an installed build); `disabledReason` says why. */
  updater: UpdaterLike | null
  disabledReason?: string
  /** Generic feed URL; when absent the installed build's app-update.yml (from the publish config) is used. */
  feedUrl?: string
  channel: 'stable' | 'beta'
  /** Download as soon as an update is found (default true). */
  autoDownload?: boolean
  firstCheckDelayMs?: number
  intervalMs?: number
  log: Logger
  now?: () => number
}

export const DEFAULT_INTERVAL_MS = 4 * 60 * 60 * 1000

export class UpdateController {
  #u: UpdaterLike | null
  #opts: UpdateOptions
  #state: UpdateState
  #listeners = new Set<(s: UpdateState) => void>()
  #timers: ReturnType<typeof setTimeout>[] = []
  #lastCheck: number | undefined
  #log: Logger

  constructor(opts: UpdateOptions) {
    this.#opts = opts
    this.#u = opts.updater
    this.#log = opts.log.child({ area: 'updates' })
    this.#state = this.#u ? { state: 'idle' } : { state: 'disabled', reason: opts.disabledReason ?? 'Updates are off' }
    if (this.#u) this.#configure(this.#u)
  }

  get state(): UpdateState {
    return this.#state
  }

  onChange(listener: (s: UpdateState) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Checks after a short delay (not to slow the start), then every `intervalMs`. */
  start(): void {
    if (!this.#u) return
    const first = setTimeout(() => void this.check(), this.#opts.firstCheckDelayMs ?? 10_000)
    const every = setInterval(() => void this.check(), this.#opts.intervalMs ?? DEFAULT_INTERVAL_MS)
    first.unref?.()
    every.unref?.()
    this.#timers.push(first, every)
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t)
    this.#timers = []
  }

  /** Checks now (unless a check or download is already under way); resolves to the resulting state. */
  async check(): Promise<UpdateState> {
    const u = this.#u
    if (!u) return this.#state
    if (['checking', 'downloading', 'downloaded'].includes(this.#state.state)) return this.#state
    this.#set({ state: 'checking' })
    try {
      const result = await u.checkForUpdates()
      this.#lastCheck = this.#now()
      // null: the updater is inactive (a build that is not installed); say so instead of spinning.
      if (result === null && this.#state.state === 'checking') this.#set({ state: 'disabled', reason: 'Updates work only in an installed build' })
    } catch (err) {
      this.#fail(err)
    }
    return this.#state
  }

  async download(): Promise<UpdateState> {
    if (!this.#u || this.#state.state !== 'available') return this.#state
    this.#set({ state: 'downloading', version: this.#state.version, percent: 0 })
    try {
      await this.#u.downloadUpdate()
    } catch (err) {
      this.#fail(err)
    }
    return this.#state
  }

  /** Restarts into the downloaded update. Returns false when there is none. */
  install(): boolean {
    if (!this.#u || this.#state.state !== 'downloaded') return false
    this.#log.info({ version: this.#state.version }, 'restarting to install the update')
    this.#u.quitAndInstall(false, true)
    return true
  }

  #configure(u: UpdaterLike): void {
    u.autoDownload = this.#opts.autoDownload ?? true
    u.autoInstallOnAppQuit = true
    u.allowPrerelease = this.#opts.channel === 'beta'
    u.allowDowngrade = false
    const channel = this.#opts.channel === 'beta' ? 'beta' : 'latest'
    if (this.#opts.feedUrl) u.setFeedURL({ provider: 'generic', url: this.#opts.feedUrl, channel })
    // The channel setter also turns on allowDowngrade; only set it for beta (stable is the default "latest").
    if (channel === 'beta') {
      u.channel = channel
      u.allowDowngrade = false
    }
    u.on('checking-for-update', () => this.#set({ state: 'checking' }))
    u.on('update-not-available', () => this.#set({ state: 'up-to-date', lastCheck: (this.#lastCheck = this.#now()) }))
    u.on('update-available', (info: { version?: string }) => {
      const version = String(info?.version ?? '?')
      this.#log.info({ version }, 'update available')
      this.#set(u.autoDownload ? { state: 'downloading', version, percent: 0 } : { state: 'available', version })
    })
    u.on('download-progress', (p: { percent?: number; bytesPerSecond?: number }) => {
      const s = this.#state
      const version = s.state === 'downloading' || s.state === 'available' ? s.version : '?'
      this.#set({ state: 'downloading', version, percent: clampPercent(p?.percent), ...(p?.bytesPerSecond ? { bytesPerSecond: Math.round(p.bytesPerSecond) } : {}) })
    })
    u.on('update-downloaded', (info: { version?: string }) => this.#set({ state: 'downloaded', version: String(info?.version ?? '?') }))
    u.on('error', (err: unknown) => this.#fail(err))
  }

  #fail(err: unknown): void {
    const message = plainError(err)
    this.#log.warn({ message }, 'update failed')
    this.#set({ state: 'error', message, ...(this.#lastCheck ? { lastCheck: this.#lastCheck } : {}) })
  }

  #set(s: UpdateState): void {
    this.#state = s
    for (const l of this.#listeners) l(s)
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)()
  }
}

function clampPercent(p: unknown): number {
  return typeof p === 'number' && Number.isFinite(p) ? Math.max(0, Math.min(100, Math.round(p))) : 0
}

/** One short line a person can read, from whatever electron-updater threw. */
export function plainError(err: unknown): string {
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : 'Unknown error'
  const first = raw.split('\n')[0]!.trim()
  if (/ERR_INTERNET_DISCONNECTED|ENOTFOUND|EAI_AGAIN|ERR_NAME_NOT_RESOLVED/.test(first)) return 'Cannot reach the update server (offline?)'
  if (/ECONNREFUSED|ERR_CONNECTION_REFUSED/.test(first)) return 'The update server refused the connection'
  if (/404/.test(first) && /latest|beta|\.yml/.test(first)) return 'The update feed has no release for this platform and channel'
  if (/sha512 checksum mismatch/i.test(first)) return 'The downloaded update was damaged (checksum mismatch); it will be fetched again'
  return first.length > 300 ? `${first.slice(0, 297)}...` : first || 'Unknown error'
}
