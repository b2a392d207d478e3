import type { CarControlLogs, CarPositionPatch, SessionState, SessionStatePatch, TimingSourceInfo } from '../../shared/timing.ts'
import type { Logger } from '../log/index.ts'
import type { TimingFeed, TimingSource } from '../timing/sources/types.ts'
import type { TimingStore } from '../timing/state/store.ts'
import type { Backplane } from './backplane.ts'

// Timing across instances. The instance with a real timing source (generator, rmonitor:, replay:,
// redmist:) owns timing: it publishes its store's patches, numbered, and serves full snapshots.
// An instance with timing.source 'remote' runs RemoteTimingSource, which mirrors the owner into its
// own store (a snapshot on start, on every reconnect and on any gap in the numbering, then the
// patches), so its RedMist hub, UI, RPC hub and REST serve the same race.

const CHANNEL = 'timing.patches'
const OWNER_POLL_MS = 2000
const MAX_PENDING = 10_000

type Patch =
  | { s: number; k: 'session'; d: SessionStatePatch }
  | { s: number; k: 'cars'; d: CarPositionPatch[] }
  | { s: number; k: 'reset' }
  | { s: number; k: 'controllog'; d: CarControlLogs }

/** Owner side: numbered patches out, snapshots on request. */
export function shareTiming(bp: Backplane, store: TimingStore, owner: () => boolean, onControlLog: (fn: (log: CarControlLogs) => void) => () => void): () => void {
  let seq = 0
  // Only while this instance owns timing (a follower's mirrored store must not echo).
  const send = (p: { k: Patch['k']; d?: unknown }) => owner() && bp.publish(CHANNEL, JSON.stringify({ ...p, s: ++seq }))
  const onSession = (d: SessionStatePatch) => send({ k: 'session', d })
  const onCars = (d: CarPositionPatch[]) => send({ k: 'cars', d })
  const onReset = () => send({ k: 'reset' })
  store.on('session', onSession)
  store.on('cars', onCars)
  store.on('reset', onReset)
  const offLog = onControlLog((d) => send({ k: 'controllog', d }))
  // A snapshot carries the number of the last patch it includes; the follower continues from there.
  bp.handle('timing.snapshot', () => ({ seq, state: store.snapshot() }))
  return () => {
    store.off('session', onSession)
    store.off('cars', onCars)
    store.off('reset', onReset)
    offLog()
  }
}

/** `timing.source: remote`: follows the owner of timing on the backplane. */
export class RemoteTimingSource implements TimingSource {
  readonly spec: string
  #bp: Backplane
  #feed: TimingFeed
  #log: Logger
  #owner: string | undefined
  #seq = -1
  /** Patches that arrive while a snapshot is on its way (applied after it, those newer than it). */
  #pending: Patch[] | undefined
  #info: TimingSourceInfo
  #offs: Array<() => void> = []
  #poll: NodeJS.Timeout | undefined
  #stopped = false

  constructor(spec: string, feed: TimingFeed, bp: Backplane, log: Logger) {
    this.spec = spec
    this.#feed = feed
    this.#bp = bp
    this.#log = log
    this.#info = { spec, kind: 'remote', state: 'connecting', detail: 'looking for the instance that owns timing', received: 0, broken: 0 }
  }

  info(): TimingSourceInfo {
    return { ...this.#info }
  }

  start(): void {
    this.#offs.push(this.#bp.subscribe(CHANNEL, (data, from) => this.#onPatch(data, from)))
    const onState = (state: string) => {
      if (state === 'connected') void this.#follow(true)
      else this.#setState('error', `Redis backplane ${state}: showing the last state received`)
    }
    this.#bp.on('state', onState)
    this.#offs.push(() => this.#bp.off('state', onState))
    this.#poll = setInterval(() => void this.#follow(false), OWNER_POLL_MS)
    this.#poll.unref()
    void this.#follow(true)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#poll)
    for (const off of this.#offs) off()
    this.#offs = []
    this.#setState('stopped', undefined)
  }

  async #follow(force: boolean): Promise<void> {
    if (this.#stopped || !this.#bp.up) return
    let owner
    try {
      owner = await this.#bp.ownerOf('timing')
    } catch {
      return
    }
    if (!owner) {
      this.#owner = undefined
      return this.#setState('connecting', 'no instance on the backplane owns timing')
    }
    if (owner.id === this.#owner && !force) return
    this.#owner = owner.id
    await this.#resync()
  }

  async #resync(): Promise<void> {
    const owner = this.#owner
    if (!owner || this.#pending) return
    this.#pending = []
    try {
      const snap = (await this.#bp.request(owner, 'timing.snapshot', {}, 5000)) as { seq: number; state: SessionState }
      if (this.#stopped) return
      this.#feed.replace(snap.state)
      this.#seq = snap.seq
      this.#info.received++
      const pending = this.#pending
      this.#pending = undefined
      for (const p of pending) if (p.s > this.#seq) this.#apply(p)
      this.#setState('live', `following ${owner}`)
    } catch (err) {
      this.#pending = undefined
      this.#setState('error', `timing owner ${owner} did not answer: ${(err as Error).message}`)
    }
  }

  #onPatch(data: Buffer, from: string): void {
    if (this.#stopped) return
    if (from !== this.#owner) return // not the owner we follow (a new one is found by the periodic lookup)
    let p: Patch
    try {
      p = JSON.parse(data.toString()) as Patch
    } catch {
      this.#info.broken++
      return
    }
    if (this.#pending) {
      // Bounded: a flood while the snapshot is on its way is dropped; the numbering gap then resyncs.
      if (this.#pending.length < MAX_PENDING) this.#pending.push(p)
      return
    }
    this.#apply(p)
  }

  #apply(p: Patch): void {
    if (p.s !== this.#seq + 1) {
      // Missed something (Redis hiccup, owner restarted): the snapshot brings us level.
      this.#log.info({ expected: this.#seq + 1, got: p.s }, 'timing patches skipped a number: resyncing')
      void this.#resync()
      return
    }
    this.#seq = p.s
    this.#info.received++
    if (p.k === 'session') this.#feed.session(p.d)
    else if (p.k === 'cars') this.#feed.cars(p.d)
    else if (p.k === 'reset') this.#feed.reset()
    else if (p.k === 'controllog') this.#feed.controlLog?.(p.d.entries)
  }

  #setState(state: TimingSourceInfo['state'], detail: string | undefined): void {
    if (this.#info.state === state && this.#info.detail === detail) return
    this.#info = { ...this.#info, state, ...(detail !== undefined ? { detail } : {}) }
    if (detail === undefined) delete this.#info.detail
    this.#feed.state(this.info())
  }
}
