import { BaseTransport, DisconnectedError } from './transport.ts'

/**
 * One end of an in-memory full-duplex pipe. Writes are delivered to the peer asynchronously
 * (like a wire), in order; closing one end closes the other with a DisconnectedError.
 */
export class MemoryTransport extends BaseTransport {
  readonly description: string
  peer: MemoryTransport | undefined
  #queue: Uint8Array[] = []
  #scheduled = false

  constructor(description = 'memory') {
    super()
    this.description = description
  }

  protected writeBytes(bytes: Uint8Array): void {
    const peer = this.peer
    if (!peer || !peer.isOpen) return
    peer.#queue.push(Uint8Array.from(bytes))
    if (!peer.#scheduled) {
      peer.#scheduled = true
      setImmediate(() => peer.#flush())
    }
  }

  #flush(): void {
    this.#scheduled = false
    const chunks = this.#queue
    this.#queue = []
    for (const c of chunks) if (this.isOpen) this.emit('data', c)
  }

  protected closeUnderlying(): void {
    this.#queue = []
    const peer = this.peer
    this.peer = undefined
    if (peer?.isOpen) {
      peer.peer = undefined
      // Let already-written bytes arrive first, as on a wire.
      setImmediate(() => peer.close(new DisconnectedError('peer closed the line')))
    }
  }
}

/** Two connected ends: [host side, device side]. */
export function memoryPair(name = 'memory'): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport(name)
  const b = new MemoryTransport(`${name} (device side)`)
  a.peer = b
  b.peer = a
  return [a, b]
}
