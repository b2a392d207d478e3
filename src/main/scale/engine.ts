import type { CameraModel } from '../camera/model.ts'
import type { RunPlanService } from '../rpc/runplan.ts'
import type { CoreContext, Engine, EngineStatus } from '../core/engine.ts'
import type { TimingEngine } from '../timing/engine.ts'
import type { InstanceInfo } from './backplane.ts'
import { shareCamera } from './camera.ts'
import { shareRunPlan } from './runplan.ts'
import { shareTiming } from './timing.ts'

const REFRESH_MS = 2000

/**
 * The scale-out engine (config `redis`): shares this instance's camera and timing when it owns
 * them, and says in /api/status which instance owns what (every instance on the backplane, with
 * what it owns, refreshed every 2 s).
 */
export class ScaleEngine implements Engine {
  readonly name = 'scale'
  #ctx: CoreContext
  #camera: () => CameraModel
  #timing: TimingEngine
  #runPlan: () => RunPlanService
  #offs: Array<() => void> = []
  #instances: InstanceInfo[] = []
  #timer: NodeJS.Timeout | undefined
  #state: EngineStatus['state'] = 'stopped'
  /** Another process registered under this instance id (a copied data dir): they would ignore each other. */
  #clash: string | undefined
  #clashSeen = 0

  constructor(ctx: CoreContext, parts: { camera: () => CameraModel; timing: TimingEngine; runPlan: () => RunPlanService }) {
    this.#runPlan = parts.runPlan
    this.#ctx = ctx
    this.#camera = parts.camera
    this.#timing = parts.timing
  }

  async start(): Promise<void> {
    const bp = this.#ctx.backplane!
    if (this.#ctx.owns.has('device')) this.#offs.push(shareCamera(bp, this.#camera()))
    // Timing ownership follows the source at run time (TimingEngine.setSource): always publish, only the owner's patches are followed.
    this.#offs.push(shareTiming(bp, this.#timing.store, () => this.#ctx.owns.has('timing'), (fn) => this.#timing.onControlLog(fn)))
    this.#offs.push(shareRunPlan(bp, this.#runPlan()))
    const refresh = async () => {
      try {
        this.#instances = bp.up ? await bp.instances() : []
        const me = this.#instances.find((i) => i.id === bp.instanceId)
        let url: string | undefined
        try {
          url = this.#ctx.lan.url
        } catch {
          url = undefined // not listening (yet)
        }
        // Twice, so a restarted instance's predecessor (same id, old port) is not mistaken for a copy.
        if (me && me.url && url && me.url !== url && ++this.#clashSeen >= 2) {
          if (this.#clash !== me.url) this.#ctx.log.error({ area: 'scale', other: me.url }, `another instance (${me.url}) uses this instance id ${bp.instanceId}: set a distinct instanceId or data dir`)
          this.#clash = me.url
        }
      } catch {
        this.#instances = []
      }
    }
    await refresh()
    // The UI's status topic follows engine.state: say when the owners view changes with the link.
    const onState = () => void refresh().then(() => this.#ctx.events.emit('engine.state', this.name, this.status()))
    bp.on('state', onState)
    this.#offs.push(() => bp.off('state', onState))
    // Half a heartbeat out of phase with our own heartbeat, so another process beating under our id is seen.
    this.#timer = setTimeout(() => {
      this.#timer = setInterval(() => void refresh(), REFRESH_MS)
      this.#timer.unref()
    }, REFRESH_MS / 2)
    this.#timer.unref()
    this.#state = 'running'
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer)
    clearInterval(this.#timer)
    for (const off of this.#offs) off()
    this.#offs = []
    this.#state = 'stopped'
  }

  status(): EngineStatus {
    const bp = this.#ctx.backplane!
    const ownerOf = (what: string) => {
      const i = this.#instances.find((x) => x.owns.includes(what))
      return i ? { id: i.id, name: i.name, ...(i.url ? { url: i.url } : {}), self: i.id === bp.instanceId } : null
    }
    const owners = { device: ownerOf('device'), timing: ownerOf('timing') }
    const detail = bp.up
      ? `${this.#instances.length} instance(s); device: ${owners.device ? owners.device.name || owners.device.id : 'nobody'}; timing: ${owners.timing ? owners.timing.name || owners.timing.id : 'nobody'}`
      : `Redis backplane ${bp.state}: owners unknown, serving local clients`
    return {
      state: this.#state === 'running' && (!bp.up || this.#clash) ? 'degraded' : this.#state,
      detail: this.#clash ? `instance id ${bp.instanceId} is also used by ${this.#clash}: give each instance its own data dir or instanceId. ${detail}` : detail,
      instanceId: bp.instanceId,
      owns: [...this.#ctx.owns],
      owners,
      instances: this.#instances.map((i) => ({ id: i.id, name: i.name, url: i.url, owns: i.owns })),
    }
  }
}
