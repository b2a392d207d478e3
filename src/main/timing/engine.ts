import { FLAG_NAMES } from '../../shared/timing.ts'
import type { CarControlLogs, CarPositionPatch, ControlLogEntry, SessionState, SessionStatePatch, TimingSourceInfo } from '../../shared/timing.ts'
import type { CoreContext, Engine, EngineStatus } from '../core/engine.ts'
import { UiError } from '../uiapi/index.ts'
import { ControlLog } from './controllog.ts'
import { inCarPayload } from './incar.ts'
import { Recorder } from './recorder.ts'
import { StatusHub } from './redmist/hub.ts'
import { mountRedMistRest } from './redmist/rest.ts'
import { createSource } from './sources/index.ts'
import { parseSourceSpec, SourceSpecError } from './sources/spec.ts'
import type { TimingFeed, TimingSource } from './sources/types.ts'
import type { BatchResult } from './state/builder.ts'
import { TimingStore } from './state/store.ts'
import { registerTimingUi } from './ui.ts'

const NONE_INFO = (spec: string): TimingSourceInfo => ({ spec, kind: 'none', state: 'stopped', received: 0, broken: 0 })

/**
 * The timing room's engine: one store, fed by exactly one source at a time (switchable at run time),
 * plus the control log, recording, and the UI API. The RedMist hub and REST follow the store's events.
 */
export class TimingEngine implements Engine {
  readonly name = 'timing'
  readonly store: TimingStore
  readonly controlLog: ControlLog
  readonly recorder: Recorder
  readonly hub: StatusHub
  readonly #ctx: CoreContext
  readonly #log: CoreContext['log']
  #source: TimingSource | null = null
  #sourceInfo: TimingSourceInfo
  #penalties = new Map<string, { warnings: number; laps: number; blackFlags: number }>()
  #generation = 0
  /** Listeners that follow the source's state (UI). */
  readonly #sourceListeners = new Set<(info: TimingSourceInfo) => void>()
  readonly #controlLogListeners = new Set<(log: CarControlLogs) => void>()
  #state: EngineStatus['state'] = 'stopped'
  #lastFlag = 0

  constructor(ctx: CoreContext) {
    this.#ctx = ctx
    this.#log = ctx.log.child({ area: 'timing' })
    this.store = new TimingStore(ctx.config.timing.eventId)
    this.store.session.eventName = ctx.config.timing.eventName
    this.recorder = new Recorder(ctx.dataDir)
    this.#sourceInfo = NONE_INFO(ctx.config.timing.source)
    this.controlLog = new ControlLog(
      (entries) => this.#onControlLog(entries),
      (msg) => this.#log.warn(msg),
    )
    // Republish for other rooms (messaging turns these into bus topics).
    this.store.on('session', (p) => {
      ctx.events.emit('timing.session', p)
      if (p.flagDurations || (p.currentFlag !== undefined && p.currentFlag !== null)) ctx.events.emit('timing.flags', this.store.session.flagDurations, this.store.session.currentFlag)
      if (p.currentFlag !== undefined && p.currentFlag !== null && p.currentFlag !== this.#lastFlag) {
        this.#lastFlag = p.currentFlag
        // The desktop shell turns this into a native notification (unless muted).
        if (p.currentFlag !== 0) ctx.events.emit('notify', { kind: 'flag', title: `${FLAG_NAMES[p.currentFlag] ?? 'Unknown'} flag`, body: this.store.session.sessionName || this.store.session.eventName || 'Track flag changed' })
      }
      if (p.announcements) this.controlLog.announce(p.announcements)
    })
    this.store.on('cars', (ps) => ctx.events.emit('timing.car', ps))
    this.store.on('reset', () => ctx.events.emit('timing.reset'))
    // RedMist-compatible serving on the LAN: REST routes must exist before the LAN server listens.
    mountRedMistRest(ctx, this)
    this.hub = new StatusHub(ctx, this)
  }

  get source(): TimingSourceInfo {
    return this.#source?.info() ?? this.#sourceInfo
  }

  async start(): Promise<void> {
    registerTimingUi(this.#ctx, this)
    const file = this.#ctx.config.timing.controlLogFile
    if (file) this.controlLog.watch(file)
    this.#state = 'running'
    try {
      await this.setSource(this.#ctx.config.timing.source)
    } catch (err) {
      // A bad configured source must not stop the app: the board stays empty and says why.
      this.#sourceInfo = { ...NONE_INFO(this.#ctx.config.timing.source), state: 'error', detail: (err as Error).message }
      this.#log.error({ err }, 'timing source not started')
    }
    this.#ctx.events.emit('engine.state', this.name, this.status())
  }

  async stop(): Promise<void> {
    this.controlLog.unwatch()
    await this.#source?.stop()
    this.#source = null
    this.recorder.close()
    this.hub.close()
    this.#state = 'stopped'
  }

  status(): EngineStatus {
    const s = this.source
    return { state: this.#state === 'running' && s.state === 'error' ? 'degraded' : this.#state, detail: `${s.spec}: ${s.state}${s.detail ? ` (${s.detail})` : ''}`, cars: this.store.cars.size, received: s.received, broken: s.broken } as EngineStatus
  }

  /** Switches the one source (stopping the old one first) and starts from an empty board. */
  async setSource(spec: string): Promise<TimingSourceInfo> {
    let parsed
    try {
      parsed = parseSourceSpec(spec)
    } catch (err) {
      if (err instanceof SourceSpecError) throw new UiError('invalid_params', err.message)
      throw err
    }
    if (parsed.kind === 'remote' && !this.#ctx.backplane) throw new UiError('invalid_params', "timing source 'remote' follows another instance: it needs a Redis backplane (--redis)")
    // On a backplane this instance owns timing while it runs a source of its own.
    if (parsed.kind === 'none' || parsed.kind === 'remote') this.#ctx.owns.delete('timing')
    else this.#ctx.owns.add('timing')
    const gen = ++this.#generation
    const old = this.#source
    this.#source = null
    await old?.stop()
    if (gen !== this.#generation) return this.source
    this.recorder.close()
    this.controlLog.setRemote([])
    const eventId = parsed.kind === 'redmist' ? parsed.eventId : this.#ctx.config.timing.eventId
    this.store.clear(eventId, this.#ctx.config.timing.eventName)
    if (parsed.kind === 'none') {
      this.#sourceInfo = NONE_INFO(spec)
      this.#emitSource(this.#sourceInfo)
      return this.#sourceInfo
    }
    const record = this.#ctx.config.timing.record && (parsed.kind === 'rmonitor' || parsed.kind === 'redmist')
    if (record) this.recorder.open(parsed.kind, parsed.kind === 'rmonitor' ? 'txt' : 'jsonl')
    const feed = this.#feed(gen)
    const source = createSource(spec, parsed, feed, { config: this.#ctx.config, log: this.#log, recorder: record ? this.recorder : null, backplane: this.#ctx.backplane })
    this.#source = source
    source.start()
    this.#log.info({ spec }, 'timing source started')
    this.#emitSource(source.info())
    return source.info()
  }

  /** The feed of one source generation: a stale source (switched away from) can no longer write. */
  #feed(gen: number): TimingFeed {
    const live = () => gen === this.#generation
    const store = this.store
    return {
      batch: (r: BatchResult) => {
        if (!live()) return
        if (r.reset) store.reset(r.midRace === true)
        if (r.session) store.applySession(r.session)
        if (r.cars.length) this.#applyCars(r.cars)
      },
      replace: (s: SessionState) => live() && store.replace(s),
      session: (p: SessionStatePatch) => live() && store.applySession(p),
      cars: (ps: CarPositionPatch[]) => live() && this.#applyCars(ps),
      reset: () => live() && store.reset(),
      state: (info) => {
        if (!live()) return
        this.#emitSource(info)
        this.#ctx.events.emit('engine.state', this.name, this.status())
      },
      raw: (lines, atMs) => live() && this.recorder.lines(lines, atMs),
      controlLog: (entries) => live() && this.controlLog.setRemote(entries),
    }
  }

  /** Applies car patches, folding in control-log penalties for cars that appear. */
  #applyCars(patches: CarPositionPatch[]): void {
    let fresh: string[] | null = null
    for (const p of patches) if (!this.store.cars.has(p.number)) (fresh ??= []).push(p.number)
    this.store.applyCars(patches)
    if (fresh && this.#penalties.size) {
      const extra: CarPositionPatch[] = []
      for (const n of fresh) {
        const pen = this.#penalties.get(n)
        if (pen) extra.push({ number: n, penalityWarnings: pen.warnings, penalityLaps: pen.laps, blackFlags: pen.blackFlags })
      }
      this.store.applyCars(extra)
    }
  }

  #onControlLog(entries: ControlLogEntry[]): void {
    const next = this.controlLog.penalties()
    const patches: CarPositionPatch[] = []
    for (const n of new Set([...next.keys(), ...this.#penalties.keys()])) {
      const a = next.get(n) ?? { warnings: 0, laps: 0, blackFlags: 0 }
      const b = this.#penalties.get(n)
      if (b && a.warnings === b.warnings && a.laps === b.laps && a.blackFlags === b.blackFlags) continue
      if (this.store.cars.has(n)) patches.push({ number: n, penalityWarnings: a.warnings, penalityLaps: a.laps, blackFlags: a.blackFlags })
    }
    this.#penalties = next
    if (patches.length) this.store.applyCars(patches)
    const log: CarControlLogs = { carNumber: '', entries }
    this.#ctx.events.emit('timing.controllog', log)
    for (const l of this.#controlLogListeners) l(log)
  }

  onSource(fn: (info: TimingSourceInfo) => void): () => void {
    this.#sourceListeners.add(fn)
    return () => this.#sourceListeners.delete(fn)
  }

  onControlLog(fn: (log: CarControlLogs) => void): () => void {
    this.#controlLogListeners.add(fn)
    return () => this.#controlLogListeners.delete(fn)
  }

  #emitSource(info: TimingSourceInfo): void {
    for (const l of this.#sourceListeners) l(info)
  }

  inCar(number: string) {
    return inCarPayload(this.store.session, this.store.cars.values(), number)
  }

  /** The live source object (tests wait on a replay's `done`). */
  get sourceObject(): TimingSource | null {
    return this.#source
  }
}
