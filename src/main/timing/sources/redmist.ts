import type { TimingSourceInfo } from '../../../shared/timing.ts'
import type { Logger } from '../../log/index.ts'
import type { Recorder } from '../recorder.ts'
import { RedMistClient } from '../redmist/client.ts'
import type { TimingFeed, TimingSource } from './types.ts'

export interface RedMistSourceOptions {
  url: string
  eventId: number
  protocol: 'json' | 'messagepack'
  tokenUrl?: string
  clientId?: string
  clientSecret?: string
  accessCode?: string
  resyncMs: number
  retryDelaysMs?: number[]
  log: Logger
  recorder: Recorder | null
}

/** Follows a RedMist hub (the cloud, or another Pitwall) into the store. */
export class RedMistSource implements TimingSource {
  readonly spec: string
  readonly client: RedMistClient
  #state: TimingSourceInfo['state'] = 'stopped'
  #detail: string | undefined
  readonly #feed: TimingFeed
  #broken = 0

  constructor(spec: string, feed: TimingFeed, o: RedMistSourceOptions) {
    this.spec = spec
    this.#feed = feed
    const rec = o.recorder
    this.client = new RedMistClient(o, {
      full: (s) => feed.replace(s),
      session: (p) => feed.session(p),
      cars: (ps) => feed.cars(ps),
      reset: () => feed.reset(),
      controlLog: (entries) => feed.controlLog?.(entries),
      state: (state, detail) => {
        this.#state = state
        this.#detail = detail
        if (state !== 'live') feed.session({ isLive: false })
        feed.state(this.info())
      },
      raw: (kind, data) => rec?.json(kind, data),
      warn: (message) => {
        this.#broken++
        o.log.warn({ spec }, message)
      },
    })
  }

  start(): void {
    void this.client.start()
  }

  async stop(): Promise<void> {
    await this.client.stop()
    this.#state = 'stopped'
    this.#feed.state(this.info())
  }

  info(): TimingSourceInfo {
    return { spec: this.spec, kind: 'redmist', state: this.#state, detail: this.#detail, received: this.client.messages, broken: this.#broken }
  }
}
