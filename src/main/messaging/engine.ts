import { createHash } from 'node:crypto'
import { LOCAL_ADMIN } from '../../shared/auth.ts'
import type { Engine, EngineStatus } from '../core/engine.ts'
import type { CoreContext } from '../core/engine.ts'
import { type BusBackplane, InProcessBackplane } from './backplane.ts'
import { MessagingHub } from './hub.ts'
import { mountRoomsHttp } from './rooms-http.ts'
import { RoomsServer } from './rooms.ts'
import { mountRtc, type RtcLimits } from './rtc.ts'
import { ScaleBusBackplane } from './scale-backplane.ts'
import { ScaleMessaging } from './scale-cluster.ts'
import { SharedHistory, SharedQueue } from './shared-storage.ts'
import { HistoryStore, migrateMessaging, OfflineQueue } from './storage.ts'
import { registerMessagingUi } from './ui.ts'

/** Car number of a timing car patch (RedMist `number`, V1 `n`), for the `timing.car.<number>` topic. */
function carNumber(car: unknown): string | undefined {
  const c = car as { number?: unknown; n?: unknown; carNumber?: unknown } | null
  const n = c?.number ?? c?.n ?? c?.carNumber
  return typeof n === 'string' || typeof n === 'number' ? String(n).trim() : undefined
}

/**
 * The LAN messaging hub: one bus under the real-time protocol (/ws) and the rooms API (/chat and
 * /websocket/*), with history, offline direct messages and presence in SQLite, and Pitwall's own
 * events republished as topics. Routes are mounted at construction (before the server listens).
 */
export class MessagingEngine implements Engine {
  readonly name = 'messaging'
  readonly hub: MessagingHub
  /** The rooms API (the spec's server API: websocket, createRoom, sendRoomMessage, ...). */
  readonly rooms: RoomsServer
  #ctx: CoreContext
  #rtc: { close(): void; clients(): number }
  #state: EngineStatus['state'] = 'stopped'
  #off: Array<() => void> = []
  /** Last camera-controller link status seen (shown as a device on the Messages page). */
  #controller: { state: string; detail: string } | undefined
  #scale: ScaleMessaging | undefined

  constructor(ctx: CoreContext, opts: { backplane?: BusBackplane } = {}) {
    this.#ctx = ctx
    const cfg = ctx.config.messaging
    migrateMessaging(ctx.store)
    const limits: RtcLimits = {
      maxConnections: cfg.maxConnections,
      heartbeatMs: cfg.heartbeatMs,
      idleTimeoutMs: cfg.idleTimeoutMs,
      maxFrameBytes: cfg.maxFrameBytes,
      ratePerSec: cfg.rateLimit,
      rateBurst: cfg.rateBurst,
      maxBufferedBytes: cfg.maxBufferedBytes,
      maxSubscriptions: cfg.maxSubscriptions,
      tokenWarningMs: cfg.tokenWarningSec * 1000,
    }
    // With a Redis backplane, history and the offline queue are shared (SQLite is the fallback while Redis is down).
    const bp = ctx.backplane
    const log = ctx.log.child({ area: 'messaging' })
    const localHistory = new HistoryStore(ctx.store, { size: cfg.historySize, ttlSec: cfg.historyTtlSec })
    const localQueue = new OfflineQueue(ctx.store, { maxPerUser: cfg.dmQueueSize })
    const sharedQueue = bp ? new SharedQueue(bp, localQueue, { maxPerUser: cfg.dmQueueSize, maxTtlSec: cfg.dmTtlSec, log }) : undefined
    this.hub = new MessagingHub({
      instanceId: ctx.instanceId,
      store: ctx.store,
      backplane: opts.backplane ?? (ctx.backplane ? new ScaleBusBackplane(ctx.backplane) : new InProcessBackplane()),
      historySize: cfg.historySize,
      historyTtlSec: cfg.historyTtlSec,
      dmQueueSize: cfg.dmQueueSize,
      dmTtlSec: cfg.dmTtlSec,
      // Pitwall's users, plus `local`: the person at the desktop window (which has no login).
      userExists: (u) => (u.toLowerCase() === LOCAL_ADMIN.username ? LOCAL_ADMIN.username : ctx.auth.listUsers().find((x) => x.username.toLowerCase() === u.toLowerCase())?.username),
      history: bp ? new SharedHistory(bp, localHistory, { size: cfg.historySize, ttlSec: cfg.historyTtlSec, log }) : localHistory,
      queue: sharedQueue ?? localQueue,
    })

    const common = { lan: ctx.lan, auth: ctx.auth, hub: this.hub, log: ctx.log, limits, anonymousRead: ctx.config.anonymousRead }
    this.#rtc = mountRtc({ ...common, path: cfg.path })
    this.rooms = new RoomsServer({ ...common, store: ctx.store })
    this.rooms.websocket(cfg.roomsPath, {})
    // The default room has the same id on every install, so instances on one backplane share it.
    if (this.rooms.getAllRooms().length === 0) this.rooms.createRoom('general', 'Everyone on the pit wall', undefined, `room_${createHash('sha256').update('pitwall general room').digest('hex').slice(0, 32)}`)
    mountRoomsHttp(ctx.lan, this.rooms, ctx.config.anonymousRead)
    if (bp) this.#scale = new ScaleMessaging(bp, this.hub, { queue: sharedQueue, rooms: this.rooms, log })
    registerMessagingUi(ctx, this.hub, this.rooms, () => this.#controller)
    // Listening from construction: engines that start before this one (camera, timing) announce their first state during their start.
    this.#follow()
    this.hub.registerType('X-Presence', () => ({ users: this.hub.presence.list() }))
    ctx.lan.metrics.gauge('pitwall_messaging_connections', 'Messaging connections (both dialects)', () => this.hub.connectionCount)
  }

  async start(): Promise<void> {
    this.#state = 'starting'
    await this.hub.bus.backplane.start()
    this.#scale?.start()
    // History is bounded per topic by size; expired publications of quiet topics are removed here.
    const purge = () => {
      try {
        void Promise.resolve(this.hub.history.purgeExpired()).catch(() => undefined)
      } catch (err) {
        this.#ctx.log.warn({ err, area: 'messaging' }, 'history purge failed')
      }
    }
    purge()
    const timer = setInterval(purge, 10 * 60_000)
    timer.unref()
    this.#off.push(() => clearInterval(timer))
    this.#state = 'running'
    this.#ctx.events.emit('engine.state', this.name, this.status())
  }

  async stop(): Promise<void> {
    for (const off of this.#off) off()
    this.#off = []
    this.#rtc.close()
    this.rooms.close()
    this.hub.unregisterAll()
    this.#scale?.stop()
    await this.hub.bus.backplane.stop()
    this.#state = 'stopped'
  }

  status(): EngineStatus {
    const s = this.hub.bus.stats
    return {
      state: this.#state,
      detail: `${this.hub.connectionCount} connections, ${s.subscriptions} subscriptions, backplane ${this.hub.bus.backplane.name}`,
      connections: this.hub.connectionCount,
      subscriptions: s.subscriptions,
      published: s.published,
      delivered: s.delivered,
    }
  }

  /** Republishes Pitwall's own events as bus topics. */
  #follow(): void {
    const ev = this.#ctx.events
    const on = <K extends 'camera.change' | 'device.link' | 'timing.session' | 'timing.car' | 'timing.flags' | 'timing.controllog' | 'timing.reset'>(name: K, fn: (...args: unknown[]) => void) => {
      const listener = (...args: unknown[]) => {
        try {
          fn(...args)
        } catch (err) {
          this.#ctx.log.warn({ err, area: 'messaging', event: name }, 'republishing an event failed')
        }
      }
      ev.on(name, listener as never)
      this.#off.push(() => ev.off(name, listener as never))
    }
    // Across instances only the owner of the device / timing source publishes these topics (once, to
    // every instance and the shared history); the others mirror its state and would only repeat them.
    const owner = (what: 'device' | 'timing') => !this.#ctx.backplane || this.#ctx.owns.has(what)
    on('camera.change', (changes) => owner('device') && this.hub.publishSystem('device.camera', changes))
    on('device.link', (link) => {
      const l = link as { state?: unknown; detail?: unknown } | null
      this.#controller = { state: String(l?.state ?? 'unknown'), detail: String(l?.detail ?? '') }
      if (owner('device')) this.hub.publishSystem('device.link', link)
      this.hub.events.emit('connections')
    })
    on('timing.reset', () => owner('timing') && this.hub.publishSystem('timing.reset', {}))
    on('timing.session', (s) => owner('timing') && this.hub.publishSystem('timing.session', s))
    on('timing.flags', (flagDurations, currentFlag) => owner('timing') && this.hub.publishSystem('timing.flags', { flagDurations, currentFlag }))
    on('timing.controllog', (e) => owner('timing') && this.hub.publishSystem('timing.controllog', e))
    on('timing.car', (car) => {
      if (!owner('timing')) return
      for (const c of Array.isArray(car) ? car : [car]) {
        const n = carNumber(c)
        if (n) this.hub.publishSystem(`timing.car.${n}`, c)
      }
    })
  }
}
