import type { Backplane } from '../scale/index.ts'
import type { BusBackplane } from './backplane.ts'
import type { BackplaneMessage } from './types.ts'

const CHANNEL = 'messaging.bus'

/** Binary bodies travel as base64 inside the JSON envelope. */
function encode(msg: BackplaneMessage): string {
  if (msg.kind === 'publish' && msg.pub.binary) return JSON.stringify({ ...msg, pub: { ...msg.pub, binary: Buffer.from(msg.pub.binary).toString('base64') } })
  if (msg.kind === 'direct' && msg.dm.binary) return JSON.stringify({ ...msg, dm: { ...msg.dm, binary: Buffer.from(msg.dm.binary).toString('base64') } })
  return JSON.stringify(msg)
}

function decode(data: Buffer): BackplaneMessage {
  const msg = JSON.parse(data.toString('utf8')) as BackplaneMessage & { pub?: { binary?: unknown }; dm?: { binary?: unknown } }
  if (msg.kind === 'publish' && typeof msg.pub.binary === 'string') msg.pub.binary = Buffer.from(msg.pub.binary, 'base64')
  if (msg.kind === 'direct' && typeof msg.dm.binary === 'string') msg.dm.binary = Buffer.from(msg.dm.binary, 'base64')
  return msg
}

/**
 * The bus over the Redis backplane (config `redis`): every publication is sent once on one pub/sub
 * channel, so each other instance receives this instance's messages in order. While Redis is down
 * publications stay local (the backplane fails fast, see docs/scaling.md).
 */
export class ScaleBusBackplane implements BusBackplane {
  readonly name = 'redis'
  #bp: Backplane
  #handler: (msg: BackplaneMessage) => void = () => {}
  #off: (() => void) | undefined

  constructor(bp: Backplane) {
    this.#bp = bp
  }

  async start(): Promise<void> {
    this.#off = this.#bp.subscribe(CHANNEL, (data) => {
      let msg: BackplaneMessage
      try {
        msg = decode(data)
      } catch {
        return // not ours / corrupt: ignore
      }
      this.#handler(msg)
    })
  }

  async stop(): Promise<void> {
    this.#off?.()
    this.#off = undefined
  }

  publish(msg: BackplaneMessage): void {
    this.#bp.publish(CHANNEL, encode(msg))
  }

  onMessage(handler: (msg: BackplaneMessage) => void): void {
    this.#handler = handler
  }
}
