import type { BackplaneMessage } from './types.ts'

/**
 * The bus's transport boundary to other Pitwall instances. The in-process default connects
 * nothing (a single instance) or the buses of one process (tests); a Redis backplane
 * (src/main/scale, ioredis pub/sub) implements the same three calls.
 */
export interface BusBackplane {
  readonly name: string
  start(): Promise<void>
  stop(): Promise<void>
  /** Sends a message to every other instance (never back to this one). */
  publish(msg: BackplaneMessage): void
  /** Sets the receiver of messages from other instances, in the order each instance sent them. */
  onMessage(handler: (msg: BackplaneMessage) => void): void
}

/** Links in-process backplanes into one group: what one publishes, the others receive (tests, embedded setups). */
export class InProcessHub {
  #members = new Set<InProcessBackplane>()
  join(b: InProcessBackplane): void {
    this.#members.add(b)
  }
  leave(b: InProcessBackplane): void {
    this.#members.delete(b)
  }
  send(from: InProcessBackplane, msg: BackplaneMessage): void {
    // Structured clone: another instance never shares objects with this one, as over a network.
    const copy = structuredClone(msg)
    for (const m of this.#members) if (m !== from) m.receive(copy)
  }
}

/** The default backplane: no other instances unless a hub links several in this process. */
export class InProcessBackplane implements BusBackplane {
  readonly name = 'in-process'
  #hub: InProcessHub | undefined
  #handler: (msg: BackplaneMessage) => void = () => {}
  #running = false

  constructor(hub?: InProcessHub) {
    this.#hub = hub
  }
  async start(): Promise<void> {
    this.#running = true
    this.#hub?.join(this)
  }
  async stop(): Promise<void> {
    this.#running = false
    this.#hub?.leave(this)
  }
  publish(msg: BackplaneMessage): void {
    if (this.#running) this.#hub?.send(this, msg)
  }
  onMessage(handler: (msg: BackplaneMessage) => void): void {
    this.#handler = handler
  }
  receive(msg: BackplaneMessage): void {
    if (this.#running) this.#handler(msg)
  }
}
