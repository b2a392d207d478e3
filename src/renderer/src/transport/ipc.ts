import type { PitwallDesktopApi } from '../../../preload/api.d.ts'
import type {
  CommandName,
  CommandParams,
  CommandResult,
  ConnectionState,
  TopicEvent,
  TopicName,
  TopicParams,
  UiErrorCode,
  UiTransport,
} from '../../../shared/ui-api/index.ts'
import { UiApiError } from '../../../shared/ui-api/define.ts'

/** The UI API over Electron IPC, through the `window.pitwall` object the preload exposes. */
export class IpcTransport implements UiTransport {
  readonly kind = 'ipc' as const
  #api: PitwallDesktopApi
  #nextId = 1
  #subs = new Map<number, (e: unknown) => void>()
  #offEvent: () => void
  #state: ConnectionState = 'open'
  #listeners = new Set<(s: ConnectionState) => void>()

  constructor(api: PitwallDesktopApi) {
    this.#api = api
    this.#offEvent = api.onEvent((id, data) => this.#subs.get(id)?.(data))
  }

  get state(): ConnectionState {
    return this.#state
  }

  async call<K extends CommandName>(method: K, params: CommandParams<K>): Promise<CommandResult<K>> {
    const r = await this.#api.call(method, params)
    if (!r.ok) throw new UiApiError({ code: r.error.code as UiErrorCode, message: r.error.message })
    return r.result as CommandResult<K>
  }

  subscribe<K extends TopicName>(topic: K, params: TopicParams<K>, onEvent: (event: TopicEvent<K>) => void): () => void {
    const id = this.#nextId++
    // Registered before asking, so an event sent while subscribing (a topic's first value) is not lost.
    this.#subs.set(id, onEvent as (e: unknown) => void)
    this.#api.subscribe(id, topic, params).then(
      (r) => {
        if (!r.ok) {
          this.#subs.delete(id)
          console.warn(`UI API: subscription to ${topic} refused: ${r.error.message}`)
        }
      },
      () => this.#subs.delete(id),
    )
    return () => {
      if (this.#subs.delete(id)) void this.#api.unsubscribe(id)
    }
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): void {
    for (const id of this.#subs.keys()) void this.#api.unsubscribe(id)
    this.#subs.clear()
    this.#offEvent()
    this.#state = 'closed'
    for (const l of this.#listeners) l('closed')
  }
}
