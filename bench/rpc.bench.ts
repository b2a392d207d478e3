// Tag RPC over the three hub protocols of /hubs/rpc in the same run: bytes on the wire per call and
// round trips per second, for small calls (Ping, Echo of a small object) and for a 100-car timing
// snapshot. JSON is the baseline (SignalR's default protocol); MessagePack is SignalR's binary one.
// Client and server run in this process (official @microsoft/signalr client, WebSockets).
import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HubMessage, IHubProtocol, ILogger } from '@microsoft/signalr'
import { parseConfig } from '../src/main/config/index.ts'
import { createCore } from '../src/main/core/index.ts'
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack'
import { createProtocol, decodeValue, encodeValue, RpcClient, type RpcEngine, type RpcProtocolName, RpcTags } from '../src/main/rpc/index.ts'
import { ratio, report, type Row, summarize } from './lib.ts'

const SEQ_MS = Number(process.env.RPC_BENCH_MS ?? 1500)
const PIPELINE = 16
const PROTOCOLS: RpcProtocolName[] = ['json', 'messagepack', 'acbinary']

/** Counts what the client's protocol writes (requests) and parses (answers). */
class Counting implements IHubProtocol {
  readonly name: string
  readonly version: number
  readonly transferFormat: IHubProtocol['transferFormat']
  sent = 0
  received = 0
  #p: IHubProtocol
  constructor(p: IHubProtocol) {
    this.#p = p
    this.name = p.name
    this.version = p.version
    this.transferFormat = p.transferFormat
  }
  parseMessages(input: string | ArrayBuffer, logger: ILogger): HubMessage[] {
    this.received += typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength
    return this.#p.parseMessages(input, logger)
  }
  writeMessage(message: HubMessage): string | ArrayBuffer {
    const out = this.#p.writeMessage(message)
    this.sent += typeof out === 'string' ? Buffer.byteLength(out) : out.byteLength
    return out
  }
}

const CLASSES = ['GT3', 'GT4', 'TCR', 'Cup']
function snapshot100() {
  const cars = Array.from({ length: 100 }, (_, i) => ({
    eventId: '42',
    sessionId: '7',
    number: String(i + 1),
    transponderId: 1_000_000 + i,
    class: CLASSES[i % 4],
    bestTime: `00:01:${String(30 + (i % 20)).padStart(2, '0')}.${String(100 + i).slice(-3)}`,
    bestLap: 10 + (i % 30),
    isBestTime: i === 0,
    isBestTimeClass: i < 4,
    inClassGap: i < 4 ? '' : `${(i % 9) + 1}.${String(i * 7).padStart(3, '0').slice(-3)}`,
    inClassDifference: i < 4 ? '' : `${i * 2}.${String(i * 13).padStart(3, '0').slice(-3)}`,
    overallGap: i === 0 ? '' : `${(i % 5) + 0}.${String(i * 3).padStart(3, '0').slice(-3)}`,
    overallDifference: i === 0 ? '' : `${Math.floor(i / 2)}:${String(i % 60).padStart(2, '0')}.${String(i * 11).padStart(3, '0').slice(-3)}`,
    totalTime: `01:${String(10 + (i % 50)).padStart(2, '0')}:12.345`,
    lastLapTime: `00:01:${String(31 + (i % 20)).padStart(2, '0')}.${String(200 + i).slice(-3)}`,
    lastLapCompleted: 45 - Math.floor(i / 10),
    pitStopCount: i % 3,
    lastLapPitted: i % 3 ? 20 + (i % 7) : null,
    lapsLedOverall: i === 0 ? 40 : 0,
    lapsLedInClass: i < 4 ? 30 : 0,
    overallPosition: i + 1,
    classPosition: Math.floor(i / 4) + 1,
    overallStartingPosition: ((i * 37) % 100) + 1,
    overallPositionsGained: ((i * 37) % 100) - i,
    inClassStartingPosition: ((i * 11) % 25) + 1,
    inClassPositionsGained: ((i * 11) % 25) - Math.floor(i / 4),
    isOverallMostPositionsGained: false,
    isClassMostPositionsGained: false,
    penalityLaps: 0,
    penalityWarnings: i % 17 === 0 ? 1 : 0,
    blackFlags: 0,
    isEnteredPit: false,
    isPitStartFinish: false,
    isExitedPit: false,
    isInPit: i % 23 === 0,
    lapIncludedPit: false,
    lastLoopName: i % 2 ? 'SF' : 'Split1',
    isStale: false,
    trackFlag: 1,
    localFlag: 0,
    projectedLapTimeMs: 91_000 + i * 37,
    driverName: `Driver ${String.fromCharCode(65 + (i % 26))}. Number${i + 1}`,
    driverId: `drv-${(i * 7919).toString(16).padStart(8, '0')}`,
    currentStatus: 'Active',
    speedMph: 100 + (i % 60),
  }))
  return { eventId: 42, sessionId: 7, sessionName: 'Race 1', laps: 45, lapsToGo: 15, timeToGo: '00:25:00', runningRaceTime: '01:10:12', currentFlag: 1, isPracticeQualifying: false, carPositions: cars }
}

interface Case {
  name: string
  call: (c: RpcClient) => Promise<unknown>
}
const CASES: Case[] = [
  { name: 'Ping (no parameters)', call: (c) => c.ping() },
  { name: 'Echo small object', call: (c) => c.echo({ car: '17', lap: 23, driver: 'Anna', fuel: 41.5 }) },
  { name: 'Timing snapshot, 100 cars', call: (c) => c.postAsync(RpcTags.TimingSnapshot) },
]

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'pw-rpc-bench-'))
  const core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, logLevel: 'error', adminPassword: 'bench-admin-pw', timing: { source: 'none' }, device: { source: 'sim' }, rpc: { maxMessageBytes: 4 * 1024 * 1024 } }),
  )
  const snap = snapshot100()
  ;(core.engines.find((e) => e.name === 'rpc') as RpcEngine).attach({ timing: Object.assign(new EventEmitter(), { snapshot: () => snap }) })
  const rows: Row[] = []
  const results = new Map<string, { bytes: number; ops: number; p50: number }>()
  try {
    for (const kase of CASES) {
      for (const protocol of PROTOCOLS) {
        const counting = new Counting(createProtocol(protocol))
        const client = new RpcClient({ url: `${core.url}/hubs/rpc`, protocol, hubProtocol: counting, reconnectDelays: false })
        await client.start()
        for (let i = 0; i < 50; i++) await kase.call(client) // warm up
        // Bytes of one call, both directions (protocol frames; WebSocket framing not included).
        const s0 = counting.sent
        const r0 = counting.received
        await kase.call(client)
        const up = counting.sent - s0
        const down = counting.received - r0
        // Sequential round trips: latency.
        const lat: number[] = []
        const end = performance.now() + SEQ_MS
        while (performance.now() < end) {
          const t0 = performance.now()
          await kase.call(client)
          lat.push(performance.now() - t0)
        }
        // Pipelined: PIPELINE calls in flight, for throughput.
        let done = 0
        const pEnd = performance.now() + SEQ_MS
        const t0 = performance.now()
        await Promise.all(
          Array.from({ length: PIPELINE }, async () => {
            while (performance.now() < pEnd) {
              await kase.call(client)
              done++
            }
          }),
        )
        const ops = done / ((performance.now() - t0) / 1000)
        await client.stop()
        const s = summarize(lat)
        results.set(`${kase.name}|${protocol}`, { bytes: up + down, ops, p50: s.p50Ms! })
        rows.push({ case: kase.name, subject: protocol, opsPerSec: ops, ...s, extra: `${up} B up + ${down} B down = ${up + down} B/call; sequential ${Math.round(lat.length / (SEQ_MS / 1000))}/s` })
      }
    }
  } finally {
    await core.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
  // Codec only (no network): encode + decode of the 100-car snapshot value, best of 30 batches.
  const best = (fn: () => void, n = 20) => {
    let b = Infinity
    for (let k = 0; k < 30; k++) {
      const t0 = performance.now()
      for (let i = 0; i < n; i++) fn()
      b = Math.min(b, (performance.now() - t0) / n)
    }
    return b
  }
  const codecs: Array<[string, () => Uint8Array | string, (x: never) => unknown]> = [
    ['json', () => JSON.stringify(snap), (x: string) => JSON.parse(x)],
    ['messagepack', () => mpEncode(snap), (x: Uint8Array) => mpDecode(x)],
    ['acbinary', () => encodeValue(snap), (x: Uint8Array) => decodeValue(x)],
  ] as never
  const codecMs = new Map<string, number>()
  for (const [name, enc, dec] of codecs) {
    const bytes = enc()
    const e = best(enc)
    const d = best(() => dec(bytes as never))
    codecMs.set(name, e + d)
    rows.push({ case: 'codec only: 100-car snapshot value', subject: name, opsPerSec: 1000 / (e + d), extra: `encode ${e.toFixed(3)} ms + decode ${d.toFixed(3)} ms, ${typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length} B` })
  }

  const ratios: string[] = []
  ratios.push(`codec only, 100-car snapshot: acbinary CPU ${ratio(codecMs.get('acbinary'), codecMs.get('json'))} JSON, ${ratio(codecMs.get('acbinary'), codecMs.get('messagepack'))} MessagePack`)
  for (const kase of CASES) {
    const j = results.get(`${kase.name}|json`)!
    for (const p of ['acbinary', 'messagepack'] as const) {
      const r = results.get(`${kase.name}|${p}`)!
      ratios.push(`${kase.name}: ${p} bytes ${ratio(r.bytes, j.bytes)} JSON, throughput ${ratio(r.ops, j.ops)} JSON, p50 ${ratio(r.p50, j.p50)} JSON`)
    }
    const a = results.get(`${kase.name}|acbinary`)!
    const m = results.get(`${kase.name}|messagepack`)!
    ratios.push(`${kase.name}: acbinary bytes ${ratio(a.bytes, m.bytes)} MessagePack, throughput ${ratio(a.ops, m.ops)} MessagePack`)
  }
  report({ name: 'rpc', description: 'Tag RPC on /hubs/rpc: acbinary vs JSON vs MessagePack, official client, same run', rows, ratios })
}

await main()
