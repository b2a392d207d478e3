// The timing room: RMonitor ingest, session state builder, race generator, RedMist hub + REST (serve)
// and RedMist client (consume), control log, recording.
export { TimingEngine } from './engine.ts'
export { TimingStore } from './state/store.ts'
export { SessionBuilder, type BatchResult } from './state/builder.ts'
export { parseRecord, formatRecord, type RMonitorRecord } from './rmonitor/parser.ts'
export { RaceGenerator } from './rmonitor/generator.ts'
export { RMonitorServer } from './rmonitor/server.ts'
export { parseSourceSpec, SourceSpecError } from './sources/spec.ts'
