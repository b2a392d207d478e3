import { readFile, stat } from 'node:fs/promises'
import type { TimingSourceInfo } from '../../../shared/timing.ts'
import { RMonitorClient } from '../rmonitor/client.ts'
import { RedMistClient } from '../redmist/client.ts'
import { RaceGenerator } from '../rmonitor/generator.ts'
import { RMonitorIngest } from '../rmonitor/ingest.ts'
import { CapturePlayer } from '../rmonitor/replay.ts'
import { SessionBuilder } from '../state/builder.ts'
import type { TimingFeed, TimingSource } from './types.ts'

/** Shared plumbing of the sources that speak RMonitor: a builder + ingest feeding the store. */
abstract class RMonitorBased implements TimingSource {
  readonly spec: string
  protected readonly feed: TimingFeed
  protected readonly ingest: RMonitorIngest
  protected st: TimingSourceInfo['state'] = 'stopped'
  protected detail: string | undefined
  abstract readonly kind: TimingSourceInfo['kind']

  constructor(spec: string, feed: TimingFeed, eventId: number, opts: { eventName?: string; isSimulation?: boolean } = {}) {
    this.spec = spec
    this.feed = feed
    this.ingest = new RMonitorIngest(new SessionBuilder({ eventId, ...opts }), (r) => feed.batch(r))
  }

  abstract start(): void
  abstract stop(): Promise<void>

  protected setState(state: TimingSourceInfo['state'], detail?: string): void {
    this.st = state
    this.detail = detail
    this.feed.state(this.info())
  }

  track(): { name: string; lengthMiles: number } {
    return { name: this.ingest.builder.trackName, lengthMiles: this.ingest.builder.trackLengthMiles }
  }

  info(): TimingSourceInfo {
    return { spec: this.spec, kind: this.kind, state: this.st, detail: this.detail, received: this.ingest.stats.received, broken: this.ingest.stats.broken }
  }
}

/** The embedded default: a generated race, in real time. */
export class GeneratorSource extends RMonitorBased {
  readonly kind = 'generator' as const
  readonly #gen: RaceGenerator
  #timer: NodeJS.Timeout | null = null
  #startedAt = 0
  readonly #speed: number

  constructor(spec: string, feed: TimingFeed, eventId: number, opts: { cars: number; seed?: number; speed?: number; durationMinutes?: number }) {
    super(spec, feed, eventId, { eventName: 'Generated race', isSimulation: true })
    this.#speed = opts.speed ?? 1
    this.#gen = new RaceGenerator({ cars: opts.cars, seed: opts.seed ?? Date.now() & 0xffff, durationMinutes: opts.durationMinutes ?? 45 })
  }

  start(): void {
    if (this.#timer) return
    this.#startedAt = Date.now()
    this.#apply(this.#gen.begin(), this.#startedAt)
    this.#timer = setInterval(() => this.#tick(), 100)
    this.#timer.unref?.()
    this.setState('live', 'generated race')
  }

  #tick(): void {
    const sim = (Date.now() - this.#startedAt) * this.#speed
    for (const b of this.#gen.advance(sim)) this.#apply(b.records, this.#startedAt + b.atMs / this.#speed)
  }

  #apply(records: Parameters<RMonitorIngest['builder']['processBatch']>[0], atMs: number): void {
    this.ingest.stats.received += records.length
    this.feed.batch(this.ingest.builder.processBatch(records, atMs))
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.setState('stopped')
  }
}

/** An Orbits-style RMonitor TCP feed (reconnects with backoff). */
export class RMonitorTcpSource extends RMonitorBased {
  readonly kind = 'rmonitor' as const
  readonly #client: RMonitorClient
  #lines: string[] = []
  /** A new connection: the server's first lines are its whole current picture (see RMonitorServer). */
  #fresh = false

  constructor(spec: string, feed: TimingFeed, eventId: number, host: string, port: number) {
    super(spec, feed, eventId)
    this.#client = new RMonitorClient({
      host,
      port,
      onLine: (line) => {
        if (this.#fresh) {
          // Start the new connection's picture with a reset, so cars of a field that is gone (the timing
          // server restarted with another race while we were away) do not linger beside the new ones.
          // With the entry list in the same batch it is a mid-race reset: last laps are kept.
          this.#fresh = false
          this.ingest.line(resyncReset())
        }
        this.#lines.push(line)
        this.ingest.line(line)
      },
      // A batch is what arrives within 10 ms: a reset sequence ($I + entries) split over TCP reads
      // stays one batch, so it is not mistaken for a lone mid-race $I.
      onChunkEnd: () => {
        this.#flushTimer ??= setTimeout(() => this.#flush(), 10)
      },
      onBroken: (line, reason) => this.ingest.broken(line, reason),
      onState: (state, detail) => {
        if (state === 'live') this.#fresh = true
        else {
          // The builder must know too, or the next heartbeat (isLive already true there) patches nothing.
          this.ingest.builder.markOffline()
          feed.session({ isLive: false })
        }
        this.setState(state, detail)
      },
    })
  }

  #flushTimer: NodeJS.Timeout | null = null

  #flush(): void {
    this.#flushTimer = null
    const now = Date.now()
    if (this.#lines.length) this.feed.raw?.(this.#lines, now)
    this.#lines = []
    this.ingest.flush(now)
  }

  start(): void {
    this.#client.start()
  }

  async stop(): Promise<void> {
    this.#client.stop()
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    this.#flushTimer = null
    this.setState('stopped')
  }
}

/** A `$I` (timing reset) stamped now; not the standalone-reset marker, which the builder ignores mid-race. */
function resyncReset(): string {
  const d = new Date()
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()]
  return `$I,"${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}","${p(d.getDate())} ${month} ${p(d.getFullYear() % 100)}"`
}

/** Max capture size we load for replay (the largest real capture is < 1 MB). */
const MAX_REPLAY_BYTES = 256 * 1024 * 1024

/** Replays a capture file, paced by its `##` headers (or one heartbeat a second), at a speed or as fast as possible. */
export class ReplaySource extends RMonitorBased {
  readonly kind = 'replay' as const
  readonly #file: string
  readonly #speed: number | 'max'
  #player: CapturePlayer | null = null
  #stopped = false
  /** Resolves when the whole file has been applied (tests, benches). */
  readonly done: Promise<void>
  #resolveDone!: () => void

  constructor(spec: string, feed: TimingFeed, eventId: number, file: string, speed: number | 'max') {
    super(spec, feed, eventId, { eventName: file.split(/[\\/]/).pop(), isSimulation: true })
    this.#file = file
    this.#speed = speed
    this.done = new Promise((r) => (this.#resolveDone = r))
  }

  start(): void {
    this.setState('connecting', this.#file)
    void this.#load()
  }

  async #load(): Promise<void> {
    try {
      const st = await stat(this.#file)
      if (!st.isFile()) throw new Error('not a file')
      if (st.size > MAX_REPLAY_BYTES) throw new Error(`larger than ${MAX_REPLAY_BYTES} bytes`)
      const text = await readFile(this.#file, this.#file.endsWith('.jsonl') ? 'utf8' : 'latin1')
      if (this.#stopped) return
      if (this.#file.endsWith('.jsonl')) return this.#playJsonl(text)
      let virtual = Date.now()
      this.#player = new CapturePlayer(text, {
        speed: this.#speed,
        onBatch: (b) => {
          virtual = b.atMs ?? virtual + 1000
          this.ingest.batch(b.lines, b.atMs ?? virtual)
        },
        onEnd: () => {
          this.setState('finished', `${this.#file}: ${this.ingest.stats.received} records`)
          this.#resolveDone()
        },
      })
      this.setState('live', this.#file)
      this.#player.start()
    } catch (err) {
      this.setState('error', `cannot replay ${this.#file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      this.#resolveDone()
    }
  }

  /** A RedMist recording ({t, kind, data} per line): the messages go through the RedMist client's decoding. */
  #playJsonl(text: string): void {
    const feed = this.feed
    const client = new RedMistClient({ url: 'http://replay.invalid/', eventId: this.ingest.builder.session.eventId, protocol: 'json', resyncMs: 60_000 }, {
      full: (s) => feed.replace(s),
      session: (p) => feed.session(p),
      cars: (ps) => feed.cars(ps),
      reset: () => feed.reset(),
      controlLog: (e) => feed.controlLog?.(e),
      state: () => undefined,
      raw: () => undefined,
      warn: (m) => this.ingest.broken('', m),
    })
    const items: Array<{ t: number; kind: string; data: unknown }> = []
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      try {
        const m = JSON.parse(line) as { t?: unknown; kind?: unknown; data?: unknown }
        if (typeof m.t === 'number' && typeof m.kind === 'string') items.push({ t: m.t, kind: m.kind, data: m.data })
        else this.ingest.broken(line, 'not a {t, kind, data} record')
      } catch {
        this.ingest.broken(line, 'not JSON')
      }
    }
    let i = 0
    const step = () => {
      if (this.#stopped) return
      const until = performance.now() + 20
      do {
        const m = items[i++]!
        this.ingest.stats.received++
        client.handle(m.kind, m.data)
        if (i >= items.length) {
          this.setState('finished', `${this.#file}: ${items.length} messages`)
          this.#resolveDone()
          return
        }
        if (this.#speed !== 'max') {
          const gap = Math.min(60_000, Math.max(0, items[i]!.t - m.t)) / this.#speed
          if (gap > 0) {
            this.#jsonTimer = setTimeout(step, gap)
            return
          }
        }
      } while (performance.now() < until)
      this.#jsonTimer = setTimeout(step, 0)
    }
    this.setState('live', this.#file)
    if (items.length === 0) {
      this.setState('finished', `${this.#file}: empty`)
      this.#resolveDone()
    } else step()
  }

  #jsonTimer: NodeJS.Timeout | null = null

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#jsonTimer) clearTimeout(this.#jsonTimer)
    this.#player?.stop()
    this.setState('stopped')
    this.#resolveDone()
  }
}
