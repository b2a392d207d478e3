import { decode, encode } from '@msgpack/msgpack'
import type { Backplane } from '../scale/index.ts'
import type { ScaleTarget } from './runtime.ts'
import type { SignalRBackplane } from './server.ts'

const CHANNEL = 'signalr.send'

interface Wire {
  h: string
  to: ScaleTarget
  t: string
  a: unknown[]
}

/**
 * SignalR sends across instances over the Redis backplane (config `redis`): one pub/sub channel,
 * MessagePack-encoded so binary arguments survive. While Redis is down sends reach this instance's
 * connections only (docs/scaling.md).
 */
export class ScaleSignalRBackplane implements SignalRBackplane {
  #bp: Backplane
  #off: (() => void) | undefined

  constructor(bp: Backplane) {
    this.#bp = bp
  }

  publish(hubPath: string, to: ScaleTarget, target: string, args: unknown[]): void {
    this.#bp.publish(CHANNEL, Buffer.from(encode({ h: hubPath, to, t: target, a: args } satisfies Wire)))
  }

  onMessage(handler: (hubPath: string, to: ScaleTarget, target: string, args: unknown[]) => void): void {
    this.#off?.()
    this.#off = this.#bp.subscribe(CHANNEL, (data) => {
      let w: Wire
      try {
        w = decode(data) as Wire
      } catch {
        return // corrupt: ignored
      }
      if (typeof w?.h !== 'string' || typeof w.t !== 'string' || !Array.isArray(w.a) || typeof w.to?.kind !== 'string') return
      handler(w.h, w.to, w.t, w.a)
    })
  }

  stop(): void {
    this.#off?.()
    this.#off = undefined
  }
}
