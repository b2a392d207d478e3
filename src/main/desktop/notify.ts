import { Notification } from 'electron'

// Native notifications. Rooms' events are turned into {kind, title, body} by the shell (see app.ts)
// and shown here unless muted or switched off for that kind.

export type NotificationKind = 'dm' | 'flag' | 'update' | 'info'

export interface NotifyMessage {
  kind?: NotificationKind
  title: string
  body: string
}

export interface NotifySettings {
  muted: boolean
  directMessages: boolean
  flagChanges: boolean
}

export class Notifier {
  #settings: () => NotifySettings
  #onClick: () => void
  #last = new Map<string, number>()

  constructor(settings: () => NotifySettings, onClick: () => void) {
    this.#settings = settings
    this.#onClick = onClick
  }

  /** Whether a notification of this kind would be shown now. */
  allowed(kind: NotificationKind): boolean {
    const s = this.#settings()
    if (s.muted) return false
    if (kind === 'dm') return s.directMessages
    if (kind === 'flag') return s.flagChanges
    return true
  }

  /** Shows a notification; returns whether it did. The same title+body within 2 s is shown once. */
  notify(msg: NotifyMessage, now = Date.now()): boolean {
    const kind = msg.kind ?? 'info'
    if (!this.allowed(kind) || !Notification.isSupported()) return false
    const key = `${msg.title}\n${msg.body}`
    if ((this.#last.get(key) ?? -Infinity) > now - 2000) return false
    this.#last.set(key, now)
    if (this.#last.size > 50) this.#last.delete(this.#last.keys().next().value!)
    const n = new Notification({ title: msg.title.slice(0, 120), body: msg.body.slice(0, 400), silent: kind !== 'dm' && kind !== 'flag' })
    n.on('click', this.#onClick)
    n.show()
    return true
  }
}
