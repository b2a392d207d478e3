// The RPC engine: mounts the tag RPC hub at /hubs/rpc on the SignalR server (acbinary + JSON +
// MessagePack), registers Pitwall's tags, and serves the run plan to the UI API.

import { z } from 'zod'
import type { Principal } from '../../shared/auth.ts'
import type { RunPlanChange } from '../../shared/runplan.ts'
import { runPlanAddSchema, runPlanUpdateSchema } from '../../shared/runplan-schema.ts'
import type { CoreContext, Engine, EngineStatus } from '../core/engine.ts'
import { defineHub, type HubConnectionInfo, type HubContext, type HubMessage, type HubProtocol, HubProtocolError, JsonHubProtocol, MessagePackHubProtocol, method } from '../signalr/index.ts'
import { UiError } from '../uiapi/index.ts'
import { AcBinaryHubProtocol, HubProtocolError as AcProtocolError, RPC_TARGET } from './hub-protocol.ts'
import { type CameraPort, type MessagingPort, type PitwallTagPorts, registerPitwallTags, type TimingPort } from './pitwall-tags.ts'
import { RunPlanService } from './runplan.ts'
import { RpcServer, type RpcPeer } from './server.ts'
import { type SignalParams, signalParamsWire, toBase64 } from './signal-params.ts'
import { RpcError, type RpcErrorCode } from './tags.ts'

export const RPC_HUB_PATH = '/hubs/rpc'

/** Other rooms' parts the tags use; getters, read when the engine starts (after those rooms). */
export interface RpcEngineDeps {
  camera?: () => CameraPort | undefined
  timing?: () => TimingPort | undefined
  messaging?: () => MessagingPort | undefined
}

export interface RpcEngine extends Engine {
  /** Plugs a room's port in after start (e.g. the timing store once its source is up). */
  attach(ports: Parameters<PitwallTagPorts['attach']>[0]): void
  readonly server: RpcServer
  readonly runPlan: RunPlanService
  readonly hub: HubContext | undefined
}

/** acbinary as a protocol plugin of our SignalR server (its HubProtocolError closes the connection). */
export class AcBinaryServerProtocol implements HubProtocol {
  readonly name = 'acbinary'
  readonly version: number
  readonly transferFormat = 'Binary' as const
  #inner: AcBinaryHubProtocol

  constructor(maxFrameBytes: number) {
    this.#inner = new AcBinaryHubProtocol({ maxFrameBytes, deferRpcData: true })
    this.version = this.#inner.version
  }

  parse(data: Uint8Array): HubMessage[] {
    try {
      return this.#inner.parseMessages(data) as unknown as HubMessage[]
    } catch (err) {
      if (err instanceof AcProtocolError) throw new HubProtocolError(err.message)
      throw new HubProtocolError(`malformed acbinary message: ${(err as Error).message}`)
    }
  }

  write(message: HubMessage): Uint8Array {
    return this.#inner.encode(message as never)
  }
}

/** One SignalR connection as the RPC server sees it; adapts SignalParams and bytes to its protocol. */
class SignalRPeer implements RpcPeer {
  readonly id: string
  readonly principal: Principal
  readonly json: boolean
  #hub: HubContext

  constructor(conn: HubConnectionInfo, hub: HubContext) {
    this.id = conn.connectionId
    this.principal = conn.user
    this.#hub = hub
    this.json = conn.protocol === 'json'
  }

  send(tag: number, requestId: number | null, params: SignalParams, data: unknown): void {
    if (this.json) this.#hub.client(this.id).send(RPC_TARGET, tag, requestId, ...jsonArgs(params, data))
    else this.#hub.client(this.id).send(RPC_TARGET, tag, requestId, signalParamsWire(params), data)
  }
}

/** JSON has no bytes: Parameters and byte data travel as base64, as .NET writes byte[] in JSON. */
function jsonArgs(params: SignalParams, data: unknown): [Record<string, unknown>, unknown] {
  const sp = signalParamsWire(params)
  if (params.Parameters) sp.Parameters = toBase64(params.Parameters)
  return [sp, data instanceof Uint8Array ? toBase64(data) : data]
}

export function createRpcEngine(ctx: CoreContext, deps: RpcEngineDeps = {}): RpcEngine {
  const log = ctx.log.child({ area: 'rpc' })
  const cfg = ctx.config.rpc
  const runPlan = new RunPlanService(ctx.store, cfg.runPlanMaxItems)
  const server = new RpcServer({
    anonymousRead: ctx.config.anonymousRead,
    maxPayloadBytes: cfg.maxPayloadBytes,
    maxInFlight: cfg.maxInFlight,
    onError: (err, tag) => log.error({ err, tag }, 'RPC handler failed'),
    // Broadcasts: one serialisation per protocol (the hub server shares the bytes between connections).
    sendMany: (targets, tag, params, data) => {
      if (!hub) return
      const json = targets.filter((p) => (p as SignalRPeer).json)
      const other = targets.filter((p) => !(p as SignalRPeer).json)
      if (other.length) hub.clients(other.map((p) => p.id)).send(RPC_TARGET, tag, null, signalParamsWire(params), data)
      if (json.length) hub.clients(json.map((p) => p.id)).send(RPC_TARGET, tag, null, ...jsonArgs(params, data))
    },
  })
  const calls = ctx.lan.metrics.counter('pitwall_rpc_calls_total', 'RPC hub calls, by outcome')
  const protocols: HubProtocol[] = [new JsonHubProtocol(), new MessagePackHubProtocol(), new AcBinaryServerProtocol(cfg.maxMessageBytes)]
  const peers = new Map<string, SignalRPeer>()
  let hub: HubContext | undefined
  let tags: PitwallTagPorts | undefined
  const pendingAttach: Array<Parameters<PitwallTagPorts['attach']>[0]> = []
  let state: EngineStatus['state'] = 'stopped'

  registerRunPlanUiApi(ctx, runPlan)
  ctx.ui.handle('rpc.info', 'System_r', () => ({ path: RPC_HUB_PATH, protocols: protocols.map((p) => p.name), connections: server.peerCount, ...server.stats }))

  return {
    name: 'rpc',
    server,
    runPlan,
    attach(ports) {
      if (tags) tags.attach(ports)
      else pendingAttach.push(ports)
    },
    get hub() {
      return hub
    },
    async start() {
      state = 'starting'
      tags ??= registerPitwallTags(server, { anonymousRead: ctx.config.anonymousRead, runPlan })
      tags.attach({ camera: deps.camera?.(), timing: deps.timing?.(), messaging: deps.messaging?.() })
      for (const p of pendingAttach.splice(0)) tags.attach(p)
      const any = z.unknown()
      hub ??= ctx.signalr.addHub(
        RPC_HUB_PATH,
        defineHub({
          methods: {
            // One method for every tag. Answers go back as OnReceiveMessage, so the invocation itself
            // returns at once (calls of one client run concurrently, bounded by rpc.maxInFlight).
            [RPC_TARGET]: method([any, any, any, any], (call, tag, requestId, params, data) => {
              const peer = peers.get(call.connection.connectionId)
              if (!peer) return
              const before = server.stats.errors
              void server.receive(peer, tag, requestId, params, data).then(() => calls.inc({ outcome: server.stats.errors > before ? 'error' : 'ok' }))
            }),
          },
          onConnected: (conn, h) => {
            const peer = new SignalRPeer(conn, h)
            peers.set(conn.connectionId, peer)
            server.connect(peer)
          },
          onDisconnected: (conn) => {
            const peer = peers.get(conn.connectionId)
            peers.delete(conn.connectionId)
            if (peer) server.disconnect(peer)
          },
        }),
        { protocols, maxMessageBytes: cfg.maxMessageBytes, clientTimeoutMs: cfg.clientTimeoutMs },
      )
      state = 'running'
    },
    async stop() {
      tags?.attach({ camera: undefined, timing: undefined, messaging: undefined })
      state = 'stopped'
    },
    status: () => ({
      state,
      detail: `${RPC_HUB_PATH}: ${server.peerCount} connection(s), ${server.stats.calls} call(s), ${runPlan.list().items.length} run plan item(s)`,
      connections: server.peerCount,
      ...server.stats,
    }),
  }
}

const UI_CODES: Partial<Record<RpcErrorCode, ConstructorParameters<typeof UiError>[0]>> = {
  not_found: 'not_found',
  conflict: 'conflict',
  limit_reached: 'conflict',
}

function registerRunPlanUiApi(ctx: CoreContext, runPlan: RunPlanService): void {
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn()
    } catch (err) {
      if (err instanceof RpcError) throw new UiError(UI_CODES[err.code] ?? 'bad_request', err.message)
      throw err
    }
  }
  ctx.ui.handle('runplan.list', 'Timing_r', () => runPlan.list())
  ctx.ui.handle('runplan.add', 'Timing_rw', (p, c) => wrap(() => runPlan.add(runPlanAddSchema.parse(p), c.principal.username, 'ui')))
  ctx.ui.handle('runplan.update', 'Timing_rw', (p, c) => wrap(() => runPlan.update(runPlanUpdateSchema.parse(p), c.principal.username, 'ui')))
  ctx.ui.handle('runplan.remove', 'Timing_rw', (p) => wrap(() => runPlan.remove(p.id, p.version, 'ui')))
  ctx.ui.topic('runplan', 'Timing_r', (_p, _c, emit) => {
    emit({ type: 'snapshot', list: runPlan.list() })
    const onChange = (change: RunPlanChange) => emit({ type: 'change', change })
    runPlan.on('change', onChange)
    return () => runPlan.off('change', onChange)
  })
}
