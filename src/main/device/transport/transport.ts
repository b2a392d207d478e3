import { EventEmitter } from 'node:events'

/**
 * A byte pipe to a device: what every driver and emulator talks through, so unit tests can use an
 * in-memory pair and only the serial adapter depends on serialport.
 */
export interface TransportEvents {
  data: [bytes: Uint8Array]
  /** Emitted once. `reason` is null for a local close(), an Error for an unplug/IO failure. */
  close: [reason: Error | null]
}

export interface Transport extends EventEmitter<TransportEvents> {
  /** e.g. "/dev/ttyUSB0@115200" or "memory". */
  readonly description: string
  readonly isOpen: boolean
  write(bytes: Uint8Array | string): void
  /** Closes the pipe; `reason` is passed on to the close event. Idempotent. */
  close(reason?: Error | null): void
}

/** Raised for a transport that went away underneath us (unplugged cable, PTY closed). */
export class DisconnectedError extends Error {
  override name = 'DisconnectedError'
  readonly disconnected = true
}

/**
 * Base for transports: registers nothing itself, guarantees one close event and refuses writes
 * after close.
 */
export abstract class BaseTransport extends EventEmitter<TransportEvents> implements Transport {
  abstract readonly description: string
  #open = true

  get isOpen(): boolean {
    return this.#open
  }

  write(bytes: Uint8Array | string): void {
    if (!this.#open) throw new DisconnectedError(`${this.description} is closed`)
    this.writeBytes(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes)
  }

  close(reason: Error | null = null): void {
    if (!this.#open) return
    this.#open = false
    this.closeUnderlying()
    this.emit('close', reason)
  }

  protected abstract writeBytes(bytes: Uint8Array): void
  protected abstract closeUnderlying(): void
}
