// The one object the preload exposes to the desktop window (`window.pitwall`), declared for the renderer.
// Results travel as envelopes because Electron's IPC drops every field of a thrown Error but its message.

export type PitwallEnvelope<T = unknown> = { ok: true; result: T } | { ok: false; error: { code: string; message: string } }

export interface PitwallDesktopApi {
  /** Calls a UI API command. */
  call(method: string, params: unknown): Promise<PitwallEnvelope>
  /** Subscribes to a topic; `id` is chosen by the caller and tags every event. */
  subscribe(id: number, topic: string, params: unknown): Promise<PitwallEnvelope<null>>
  unsubscribe(id: number): Promise<void>
  /** Every topic event of this window; returns the function that stops listening. */
  onEvent(listener: (id: number, data: unknown) => void): () => void
  /** Deep links and tray actions the shell asks the window to follow (e.g. `#/timing?car=12`). */
  onNavigate(listener: (hash: string) => void): () => void
  readonly platform: string
}

declare global {
  interface Window {
    pitwall?: PitwallDesktopApi
  }
}
