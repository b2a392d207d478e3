// The diagnostics hub at /hubs/diag: lets integrators check a connection end to end (and our tests).
import { z } from 'zod'
import type { CoreContext, Engine, EngineStatus } from '../core/engine.ts'
import type { HubContext } from './context.ts'
import { clientStream, defineHub, HubError, method, streamMethod } from './hub.ts'
import type { HubOptions } from './runtime.ts'

export const DIAG_HUB_PATH = '/hubs/diag'

const group = z.string().min(1).max(256)

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/**
 * Methods: Echo(value) → value; Time() → ISO server time; Counter(count, delayMs) streams 1..count;
 * Join(group) / Leave(group); SendToGroup(group, message) → Receive(message) on the members (needs
 * Messages_rw); Whoami() → {connectionId, user, transport, protocol}; Fail(message) → HubException;
 * Sum(stream of numbers) → total (client-to-server stream); Ask(target, value) → what the caller's
 * `target` handler returns (client result).
 */
export const diagHub = defineHub({
  methods: {
    Echo: method([z.unknown()], (_call, value) => value),
    Time: method([], () => new Date().toISOString()),
    Counter: streamMethod([z.number().int().min(0).max(100_000), z.number().int().min(0).max(60_000)], async function* (call, count, delayMs) {
      for (let i = 1; i <= count && !call.signal.aborted; i++) {
        if (delayMs > 0) await sleep(delayMs, call.signal)
        if (call.signal.aborted) return
        yield i
      }
    }),
    Join: method([group], (call, g) => call.hub.addToGroup(call.connection.connectionId, g)),
    Leave: method([group], (call, g) => call.hub.removeFromGroup(call.connection.connectionId, g)),
    SendToGroup: method([group, z.unknown()], (call, g, message) => call.hub.group(g).send('Receive', message), { permission: 'Messages_rw' }),
    Whoami: method([], (call) => ({
      connectionId: call.connection.connectionId,
      user: call.connection.userId,
      role: call.connection.user.role,
      transport: call.connection.transport,
      protocol: call.connection.protocol,
    })),
    Fail: method([z.string().max(1000)], (_call, message) => {
      throw new HubError(message)
    }),
    Sum: method([clientStream(z.number())], async (_call, items) => {
      let total = 0
      for await (const x of items) total += x
      return total
    }),
    Ask: method([z.string().min(1).max(100), z.unknown()], (call, target, value) =>
      call.hub.invokeClient(call.connection.connectionId, target, [value], { timeoutMs: 10_000, signal: call.signal }),
    ),
  },
})

/** Diagnostics hub options: every transport, a few parallel invocations (Ask waits on the client). */
export const DIAG_HUB_OPTIONS: HubOptions = { permission: 'System_r', maxParallelInvocations: 4 }

/** The SignalR engine of the running app: serves /hubs/diag and reports every hub's connections. */
export class DiagHubEngine implements Engine {
  readonly name = 'signalr'
  #ctx: CoreContext
  #hub: HubContext | undefined

  constructor(ctx: CoreContext) {
    this.#ctx = ctx
  }

  async start(): Promise<void> {
    this.#hub ??= this.#ctx.signalr.addHub(DIAG_HUB_PATH, diagHub, DIAG_HUB_OPTIONS)
  }

  async stop(): Promise<void> {
    await this.#ctx.signalr.close()
  }

  status(): EngineStatus {
    const hubs = this.#ctx.signalr.hubs()
    return {
      state: this.#hub ? 'running' : 'stopped',
      detail: `${hubs.length} hub(s), ${hubs.reduce((n, h) => n + h.connections, 0)} connection(s)`,
      hubs: hubs.map((h) => ({ path: h.path, connections: h.connections, transports: h.transports })),
    }
  }
}
