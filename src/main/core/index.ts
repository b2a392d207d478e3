import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import pkg from '../../../package.json' with { type: 'json' }
import type { StatusInfo } from '../../shared/ui-api/index.ts'
import { Auth } from '../auth/index.ts'
import { type Config, ConfigError, resolveDataDir } from '../config/index.ts'
import { LanServer } from '../lan/index.ts'
import { MessagingEngine } from '../messaging/index.ts'
import { createLogging, type LogSetup } from '../log/index.ts'
import { HubServer } from '../signalr/index.ts'
import { DiagHubEngine } from '../signalr/diag.ts'
import { ScaleSignalRBackplane } from '../signalr/scale-backplane.ts'
import { Backplane, shareUsers } from '../scale/index.ts'
import { RemoteCameraController, registerRemoteDeviceUi } from '../scale/camera.ts'
import { ScaleEngine } from '../scale/engine.ts'
import { Store } from '../store/index.ts'
import { mountUiWebSocket, UiRouter } from '../uiapi/index.ts'
import { createCameraEngine } from '../camera/index.ts'
import { createRpcEngine, rpcMessagingPort } from '../rpc/index.ts'
import { createDeviceEngine } from '../device/index.ts'
import { TimingEngine } from '../timing/index.ts'
import { registerCoreApi } from './core-api.ts'
import type { CoreContext, CoreEvents, Engine, EngineStatus } from './engine.ts'

export type { CoreContext, CoreEventMap, CoreEvents, Engine, EngineStatus } from './engine.ts'

export const VERSION: string = pkg.version

export interface CoreRuntime {
  /** Built web UI served at `/`. */
  webRoot?: string
  /** Pre-made logging (the desktop shell makes its own); created from config otherwise. */
  logging?: LogSetup
  /** ':memory:' keeps the database in memory (tests). */
  storeDir?: string
}

export interface Core {
  readonly ctx: CoreContext
  readonly engines: Engine[]
  readonly logging: LogSetup
  /** Generated first-run admin password, when this start created the admin. */
  readonly firstRunPassword: string | undefined
  readonly url: string
  status(): StatusInfo
  stop(): Promise<void>
}

/**
 * The composition root: opens the store, users, the LAN server and the UI API, then starts every
 * engine in order. Plain Node: nothing here imports electron.
 */
export async function createCore(config: Config, runtime: CoreRuntime = {}): Promise<Core> {
  const dataDir = resolveDataDir(config)
  const logging = runtime.logging ?? createLogging({ level: config.logLevel, dir: join(dataDir, 'logs'), console: config.logToConsole })
  const log = logging.log
  const store = new Store(runtime.storeDir ?? dataDir, log)
  const started = Date.now()
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()]
  try {
    let instanceId = config.instanceId ?? store.getSetting<string>('core.instanceId')
    if (!instanceId) {
      instanceId = randomUUID().slice(0, 8)
      store.setSetting('core.instanceId', instanceId)
    }
    const auth = new Auth(store, { idleMinutes: config.sessionIdleMinutes, secret: config.tokenSecret, log })
    const firstRunPassword = await auth.ensureAdmin(config.adminPassword)
    const lan = new LanServer({ host: config.host, port: config.port, auth, log, webRoot: runtime.webRoot, allowedOrigins: config.allowedOrigins, anonymousRead: config.anonymousRead })
    const ui = new UiRouter(log, config.anonymousRead)
    const events: CoreEvents = new EventEmitter()
    events.setMaxListeners(100)
    // Before listen: the hub server installs its request hook; hubs are added by engines.
    const signalr = new HubServer({ lan, log, ...config.signalr, anonymousRead: config.anonymousRead, sessions: auth })
    const owns = new Set<string>()
    const backplane = config.redis ? new Backplane(config.redis, { instanceId, log, info: () => ({ name: config.name, url: lanUrl(), owns: [...owns] }) }) : undefined
    if (backplane) signalr.useBackplane(new ScaleSignalRBackplane(backplane))
    const ctx: CoreContext = { config, dataDir, version: VERSION, instanceId, log, store, auth, lan, ui, events, backplane, owns, signalr }

    const engines: Engine[] = createEngines(ctx)
    const status = (): StatusInfo => ({
      name: config.name,
      version: VERSION,
      uptime: Math.round((Date.now() - started) / 1000),
      instanceId,
      url: lanUrl(),
      engines: Object.fromEntries([
        ['store', storeStatus(store)] as const,
        ...(backplane ? [['backplane', backplaneStatus(backplane, owns)] as const] : []),
        ...engines.map((e) => [e.name, safeStatus(e)] as const),
      ]),
    })
    const lanUrl = () => {
      try {
        return lan.url
      } catch {
        return undefined
      }
    }
    lan.setStatusProvider(status, () => engines.every((e) => safeStatus(e).state !== 'error'))
    registerCoreApi(ctx, { status, logging, firstRunPassword })
    const uiWs = mountUiWebSocket({ lan, router: ui, auth, log, server: { name: config.name, version: VERSION } })

    await lan.listen()
    cleanup.push(() => lan.close(), () => uiWs.close(), () => signalr.close())
    if (backplane) {
      await backplane.start()
      const unshare = shareUsers(backplane, auth)
      backplane.on('state', () => events.emit('engine.state', 'backplane', backplaneStatus(backplane, owns)))
      cleanup.push(() => backplane.stop(), unshare)
    }
    for (const engine of engines) {
      await engine.start()
      cleanup.push(() => engine.stop())
    }
    if (firstRunPassword) {
      log.warn({ area: 'auth' }, 'First run: an admin password was generated (shown once on the console and in the UI)')
    }

    let stopping: Promise<void> | undefined
    return {
      ctx,
      engines,
      logging,
      firstRunPassword,
      get url() {
        return lan.url
      },
      status,
      stop: () => (stopping ??= runCleanup(cleanup, log).then(() => logging.close())),
    }
  } catch (err) {
    await runCleanup(cleanup, log)
    if (!runtime.logging) logging.close()
    throw err
  }
}

/** Every engine, in start order (stopped in reverse). */
function createEngines(ctx: CoreContext): Engine[] {
  // device.source 'remote' (with a backplane): no device here; the camera follows the instance that owns it.
  const bp = ctx.backplane
  const remoteDevice = ctx.config.device.source === 'remote'
  if (remoteDevice && !bp) throw new ConfigError("device.source 'remote' follows another instance: it needs a Redis backplane (--redis)")
  const device = remoteDevice ? undefined : createDeviceEngine(ctx)
  if (device && bp) ctx.owns.add('device')
  let remote: RemoteCameraController | undefined
  if (!device) registerRemoteDeviceUi(ctx.ui, () => remote)
  const camera = createCameraEngine(ctx, () =>
    device ? device.controller : (remote = new RemoteCameraController(bp!, { log: ctx.log.child({ area: 'camera' }), timeoutMs: ctx.config.camera.commandTimeoutMs })),
  )
  const timing = new TimingEngine(ctx)
  const messaging = new MessagingEngine(ctx)
  const rpc = createRpcEngine(ctx, { camera: () => camera.model, timing: () => timing.store, messaging: () => rpcMessagingPort(messaging) })
  return [
    new DiagHubEngine(ctx),
    ...(device ? [device] : []),
    camera,
    timing,
    messaging,
    rpc,
    ...(bp ? [new ScaleEngine(ctx, { camera: () => camera.model, timing, runPlan: () => rpc.runPlan })] : []),
  ]
}

async function runCleanup(cleanup: Array<() => Promise<void> | void>, log: CoreContext['log']): Promise<void> {
  for (const fn of cleanup.reverse()) {
    try {
      await fn()
    } catch (err) {
      log.error({ err }, 'shutdown step failed')
    }
  }
  cleanup.length = 0
}

function safeStatus(e: Engine): EngineStatus {
  try {
    return e.status()
  } catch (err) {
    return { state: 'error', detail: (err as Error).message }
  }
}

function backplaneStatus(b: Backplane, owns: Set<string>): EngineStatus {
  const state = b.state === 'connected' ? 'running' : b.state === 'stopped' ? 'stopped' : 'degraded'
  const detail = b.state === 'connected' ? 'Redis backplane connected' : `Redis backplane ${b.state}${b.detail ? `: ${b.detail}` : ''}; serving local clients only`
  return { state, detail, instanceId: b.instanceId, owns: [...owns] }
}

function storeStatus(store: Store): EngineStatus {
  if (store.startup === 'recovered') return { state: 'degraded', detail: `database was corrupt; moved to ${store.quarantined}`, path: store.path }
  return { state: store.closed ? 'stopped' : 'running', path: store.path }
}
