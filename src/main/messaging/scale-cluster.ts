import type { Logger } from '../log/index.ts'
import type { Backplane } from '../scale/index.ts'
import type { MessagingCluster, MessagingHub } from './hub.ts'
import type { PresenceEntry } from './presence.ts'
import type { RoomChange, RoomsServer } from './rooms.ts'
import type { SharedQueue } from './shared-storage.ts'
import type { DirectEnvelope } from './types.ts'

const PRESENCE = 'messaging.presence'
const ROOMS = 'messaging.rooms'
const ROOMS_KEY = 'pw:msg:rooms'
const SWEEP_MS = 2000

type PresenceMsg = { type: 'user'; entry: PresenceEntry } | { type: 'snapshot'; entries: PresenceEntry[] } | { type: 'hello' } | { type: 'flush'; users: string[] }

/**
 * Messaging across instances (config `redis`), besides the bus itself (ScaleBusBackplane):
 * - presence: each instance announces its own users' connection counts; every instance adds up
 *   what the others report, so "online" means a connection anywhere. On every (re)connect an
 *   instance sends its snapshot and asks for the others'; an instance whose heartbeat expires
 *   (stopped, crashed) is forgotten, so its users go offline unless connected elsewhere;
 * - direct messages: routed to the instances where the target user has connections
 *   (`backplane.request`), which answer with the connection ids that took the message.
 */
export class ScaleMessaging implements MessagingCluster {
  #bp: Backplane
  #hub: MessagingHub
  #queue: SharedQueue | undefined
  #rooms: RoomsServer | undefined
  #log: Logger
  #offs: Array<() => void> = []
  #sweep: NodeJS.Timeout | undefined

  constructor(bp: Backplane, hub: MessagingHub, opts: { queue?: SharedQueue; rooms?: RoomsServer; log: Logger }) {
    this.#rooms = opts.rooms
    this.#bp = bp
    this.#hub = hub
    this.#queue = opts.queue
    this.#log = opts.log
  }

  start(): void {
    this.#hub.cluster = this
    this.#hub.presence.onLocalChange = (entry) => this.#send({ type: 'user', entry })
    this.#offs.push(this.#bp.subscribe(PRESENCE, (data, from) => this.#onPresence(data, from)))
    if (this.#rooms) {
      const rooms = this.#rooms
      rooms.onRoomChange = (change) => {
        if (!this.#bp.up) return // reconciled by the next sync
        const write = change.kind === 'upsert' ? this.#bp.redis.hset(ROOMS_KEY, change.room.id, JSON.stringify(change.room)) : this.#bp.redis.hdel(ROOMS_KEY, change.id)
        write.catch(() => undefined)
        this.#bp.publish(ROOMS, JSON.stringify(change))
      }
      this.#offs.push(
        this.#bp.subscribe(ROOMS, (data) => {
          try {
            rooms.applyRemote(JSON.parse(data.toString()) as RoomChange)
          } catch {
            /* malformed: the next sync repairs */
          }
        }),
        () => (rooms.onRoomChange = undefined),
      )
    }
    this.#bp.handle('messaging.direct', (payload) => this.#hub.deliverLocalDirect(decodeDm(payload as WireDm)))
    const onState = (state: string) => {
      if (state !== 'connected') return
      // Rebuild: tell the others what is here, ask what is there; move what was queued meanwhile.
      this.#send({ type: 'snapshot', entries: this.#hub.presence.localEntries() })
      this.#send({ type: 'hello' })
      void this.#afterOutage()
      void this.#syncRooms().catch(() => undefined)
    }
    this.#bp.on('state', onState)
    this.#offs.push(() => this.#bp.off('state', onState))
    if (this.#bp.up) onState('connected')
    this.#sweep = setInterval(() => void this.#dropDead(), SWEEP_MS)
    this.#sweep.unref()
  }

  stop(): void {
    clearInterval(this.#sweep)
    for (const off of this.#offs) off()
    this.#offs = []
    this.#hub.presence.onLocalChange = undefined
    this.#hub.cluster = undefined
  }

  async direct(dm: DirectEnvelope): Promise<{ deliveredTo: string[]; connected: boolean }> {
    const instances = this.#hub.presence.instancesOf(dm.targetUser)
    if (instances.length === 0 || !this.#bp.up) return { deliveredTo: [], connected: false }
    const answers = await Promise.allSettled(instances.map((i) => this.#bp.request(i, 'messaging.direct', encodeDm(dm), 2000)))
    const deliveredTo: string[] = []
    let connected = false
    for (const a of answers) {
      if (a.status !== 'fulfilled') continue
      connected = true
      if (Array.isArray(a.value)) deliveredTo.push(...a.value.filter((x): x is string => typeof x === 'string'))
    }
    return { deliveredTo, connected }
  }

  /**
   * Direct messages queued here while Redis was down go to the shared queue; then whoever is
   * connected gets their queued messages without reconnecting (here, and on the instances told).
   */
  async #afterOutage(): Promise<void> {
    const moved = (await this.#queue?.moveLocalToShared()) ?? new Set<string>()
    if (moved.size) this.#send({ type: 'flush', users: [...moved] })
    this.#flush(undefined)
  }

  /** Sends queued direct messages to this instance's /ws and UI connections (of `users`, or everyone's). */
  #flush(users: Set<string> | undefined): void {
    const done = new Set<string>()
    for (const c of this.#hub.connections()) {
      if (!c.user || done.has(c.user) || (users && !users.has(c.user)) || c.dialect === 'rooms') continue
      done.add(c.user)
      void this.#hub.flushQueued(c).catch(() => undefined)
    }
  }

  /** Rooms: the Redis hash is the shared list; rooms made here while Redis was down are added to it. */
  async #syncRooms(): Promise<void> {
    const rooms = this.#rooms
    if (!rooms) return
    const remote = await this.#bp.redis.hgetall(ROOMS_KEY)
    for (const json of Object.values(remote)) rooms.applyRemote({ kind: 'upsert', room: JSON.parse(json) })
    for (const def of rooms.definitions()) if (!(def.id in remote)) await this.#bp.redis.hset(ROOMS_KEY, def.id, JSON.stringify(def))
  }

  #send(msg: PresenceMsg): void {
    this.#bp.publish(PRESENCE, JSON.stringify(msg))
  }

  #onPresence(data: Buffer, from: string): void {
    let msg: PresenceMsg
    try {
      msg = JSON.parse(data.toString()) as PresenceMsg
    } catch {
      return
    }
    const p = this.#hub.presence
    if (msg.type === 'hello') this.#send({ type: 'snapshot', entries: p.localEntries() })
    else if (msg.type === 'snapshot' && Array.isArray(msg.entries)) p.replaceInstance(from, msg.entries.filter(validEntry))
    else if (msg.type === 'user' && validEntry(msg.entry)) p.setRemote(from, msg.entry)
    else if (msg.type === 'flush' && Array.isArray(msg.users)) this.#flush(new Set(msg.users.filter((u) => typeof u === 'string')))
  }

  /** Instances whose heartbeat expired: their users are no longer connected there. */
  async #dropDead(): Promise<void> {
    if (!this.#bp.up) return // while Redis is down nobody can tell; rebuilt once it is back
    try {
      const live = new Set((await this.#bp.instances()).map((i) => i.id))
      if (!this.#bp.up || live.size === 0) return
      for (const i of this.#hub.presence.remoteInstances()) {
        if (!live.has(i)) {
          this.#log.info({ instance: i }, 'instance gone from the backplane: its users are offline there')
          this.#hub.presence.dropInstance(i)
        }
      }
    } catch {
      /* next sweep */
    }
  }
}

function validEntry(e: unknown): e is PresenceEntry {
  const x = e as PresenceEntry | null
  return !!x && typeof x.user === 'string' && typeof x.connections === 'number' && Array.isArray(x.devices) && typeof x.since === 'number'
}

type WireDm = Omit<DirectEnvelope, 'binary'> & { binary?: string }

function encodeDm(dm: DirectEnvelope): WireDm {
  const { binary, ...rest } = dm
  return binary ? { ...rest, binary: Buffer.from(binary).toString('base64') } : rest
}

function decodeDm(w: WireDm): DirectEnvelope {
  const { binary, ...rest } = w
  return binary ? { ...rest, binary: new Uint8Array(Buffer.from(binary, 'base64')) } : rest
}
