import type { Config } from '../../config/index.ts'
import type { Logger } from '../../log/index.ts'
import type { Backplane } from '../../scale/backplane.ts'
import { RemoteTimingSource } from '../../scale/timing.ts'
import type { Recorder } from '../recorder.ts'
import { RedMistSource } from './redmist.ts'
import { GeneratorSource, ReplaySource, RMonitorTcpSource } from './rmonitor.ts'
import type { SourceSpec } from './spec.ts'
import type { TimingFeed, TimingSource } from './types.ts'

export { parseSourceSpec, SourceSpecError, type SourceSpec } from './spec.ts'
export type { TimingFeed, TimingSource } from './types.ts'

export interface SourceDeps {
  config: Config
  log: Logger
  recorder: Recorder | null
  /** The Redis backplane (config `redis`), for the `remote` source. */
  backplane?: Backplane
}

export function createSource(spec: string, parsed: Exclude<SourceSpec, { kind: 'none' }>, feed: TimingFeed, deps: SourceDeps): TimingSource {
  const eventId = deps.config.timing.eventId
  switch (parsed.kind) {
    case 'generator':
      return new GeneratorSource(spec, feed, eventId, { cars: parsed.cars ?? deps.config.timing.generatorCars })
    case 'rmonitor':
      return new RMonitorTcpSource(spec, feed, eventId, parsed.host, parsed.port)
    case 'replay':
      return new ReplaySource(spec, feed, eventId, parsed.file, parsed.speed)
    case 'remote':
      if (!deps.backplane) throw new Error("timing source 'remote' follows another instance: it needs a Redis backplane (--redis)")
      return new RemoteTimingSource(spec, feed, deps.backplane, deps.log)
    case 'redmist':
      return new RedMistSource(spec, feed, { url: parsed.url, eventId: parsed.eventId, ...deps.config.timing.redmist, log: deps.log, recorder: deps.recorder })
  }
}
