// A change reported by the camera controller reaching 50, 500 and 1,000 camera API v1 clients, against
// a bare `ws` server broadcasting the same bytes, in the same run. The clients live in a child process
// (camera-broadcast.clients.ts) so they do not share the server's event loop; both subjects' clients are
// connected at once and the rounds alternate (ABBA), so machine noise falls on both alike; latency is measured from
// the moment the controller reports the change to each client's 'message' event, on absolute clocks.
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocketServer } from 'ws'
import { type CameraEngine, SimController } from '../src/main/camera/index.ts'
import { parseConfig } from '../src/main/config/index.ts'
import { createCore } from '../src/main/core/index.ts'
import { ratio, report, type Row, sleep, summarize } from './lib.ts'

const SIZES = (process.env.BENCH_SIZES ?? '50,500,1000').split(',').map(Number)
const RATE = 100 // changes per second, paced
const DURATION_MS = Number(process.env.BENCH_MS ?? 1000)
const BURST = 200 // changes back to back, for the saturation case
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2) // alternating bare/pitwall rounds (ABBA...), pooled: machine noise falls on both
const now = () => performance.timeOrigin + performance.now()

// --- child process with the clients
const child: ChildProcess = fork(new URL('./camera-broadcast.clients.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
const replies: Array<(m: Record<string, unknown>) => void> = []
child.on('message', (m) => replies.shift()?.(m as Record<string, unknown>))
const ask = (msg: unknown): Promise<Record<string, unknown>> => new Promise((resolve) => (replies.push(resolve), child.send(msg as object)))
await new Promise<void>((resolve) => replies.push(() => resolve()))

// --- baseline: bare ws, broadcasting pre-encoded bytes to every client
const http = createServer()
const bare = new WebSocketServer({ server: http, perMessageDeflate: false })
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
const bareUrl = `ws://127.0.0.1:${(http.address() as { port: number }).port}/`
const bareChange = (v: number) => {
  const bytes = Buffer.from(JSON.stringify({ brightness: v }))
  for (const c of bare.clients) c.send(bytes, { binary: false })
}

// --- Pitwall: the real core, the simulated controller reporting a device-side change
const core = await createCore(
  parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-bench-cam-')), logToConsole: false, logLevel: 'warn', adminPassword: 'bench-password', timing: { source: 'none' }, camera: { maxClients: 2000 } }),
)
// The camera room's SimController (its `press()` reports any change at once); the app's default
// controller is the device room's PCP emulator, measured in bench/device.bench.ts.
const sim = new SimController()
await (core.engines.find((e) => e.name === 'camera') as CameraEngine).model.replaceController(sim)
const pwUrl = `${core.url.replace('http', 'ws')}/api/v1`
const pwChange = (v: number) => sim.press({ brightness: v })

let value = 0
/** Distinct consecutive values, so every change is broadcast by both subjects. */
const nextValue = () => (value = (value + 1) % 101)

async function waitAll(group: string, expected: number): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if ((await ask({ cmd: 'count', group })).count === expected) return
    await sleep(20)
  }
  throw new Error(`clients did not receive all ${expected} messages`)
}

async function paced(group: string, change: (v: number) => void, clients: number, durationMs = DURATION_MS): Promise<Sample> {
  await ask({ cmd: 'reset', group })
  const cpu0 = process.cpuUsage()
  const sent: number[] = []
  const total = Math.round((RATE * durationMs) / 1000)
  const start = now()
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / RATE
    const wait = due - now()
    if (wait > 1) await sleep(wait)
    sent.push(now())
    change(nextValue())
  }
  await waitAll(group, total * clients)
  return collect(group, sent, cpu0)
}

interface Sample {
  lat: number[]
  deliveries: number
  secs: number
  /** Server process CPU (user + system) spent while the changes went out, in µs. */
  cpuUs: number
}

async function collect(group: string, sent: number[], cpu0: NodeJS.CpuUsage): Promise<Sample> {
  const cpu = process.cpuUsage(cpu0)
  const r = await ask({ cmd: 'collect', group, sent })
  return { lat: r.lat as number[], deliveries: r.deliveries as number, secs: ((r.last as number) - (r.first as number)) / 1000, cpuUs: cpu.user + cpu.system }
}

function pooled(samples: Sample[], kase: string, subject: string): Row {
  const lat = samples.flatMap((s) => s.lat)
  const deliveries = samples.reduce((n, s) => n + s.deliveries, 0)
  const secs = samples.reduce((n, s) => n + s.secs, 0)
  const cpuUs = samples.reduce((n, s) => n + s.cpuUs, 0)
  return { case: kase, subject, opsPerSec: deliveries / secs, ...summarize(lat), extra: `server CPU ${(cpuUs / deliveries).toFixed(2)} µs/delivery` }
}

async function burst(group: string, change: (v: number) => void, clients: number): Promise<Sample> {
  await ask({ cmd: 'reset', group })
  const cpu0 = process.cpuUsage()
  const sent: number[] = []
  for (let k = 0; k < BURST; k++) {
    sent.push(now())
    change(nextValue())
    if (k % 10 === 9) await new Promise((r) => setImmediate(r)) // let the sockets write, as a real event loop would
  }
  await waitAll(group, BURST * clients)
  return collect(group, sent, cpu0)
}

const subjects = { bare: { url: bareUrl, change: bareChange }, pw: { url: pwUrl, change: pwChange } } as const

const cpuOf = (r: Row) => Number(/CPU ([\d.]+)/.exec(r.extra ?? '')?.[1])
const rows: Row[] = []
const ratios: string[] = []
for (const n of SIZES) {
  // both groups connected at once; rounds alternate bare/pitwall as ABBA so drift and noise fall on both
  for (const [group, sub] of Object.entries(subjects)) await ask({ cmd: 'connect', group, url: sub.url, n })
  await sleep(300)
  for (const [group, sub] of Object.entries(subjects)) await paced(group, sub.change, n, 300) // warm-up
  const samples = { bare: [[], []] as Sample[][], pw: [[], []] as Sample[][] }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['bare', 'pw'] as const) : (['pw', 'bare'] as const)
    for (const who of order) {
      samples[who][0]!.push(await paced(who, subjects[who].change, n))
      samples[who][1]!.push(await burst(who, subjects[who].change, n))
    }
  }
  await ask({ cmd: 'close' })
  await sleep(300)
  const bp = pooled(samples.bare[0]!, `${RATE} changes/s to ${n} clients`, 'bare ws')
  const pp = pooled(samples.pw[0]!, `${RATE} changes/s to ${n} clients`, 'pitwall v1')
  const bb = pooled(samples.bare[1]!, `burst of ${BURST} changes to ${n} clients`, 'bare ws')
  const pb = pooled(samples.pw[1]!, `burst of ${BURST} changes to ${n} clients`, 'pitwall v1')
  rows.push(bp, pp, bb, pb)
  ratios.push(`${n} clients paced: p99 ${ratio(pp.p99Ms, bp.p99Ms)} (p50 ${ratio(pp.p50Ms, bp.p50Ms)}), deliveries/s ${ratio(pp.opsPerSec, bp.opsPerSec)} of bare ws`)
  ratios.push(`${n} clients burst: p99 ${ratio(pb.p99Ms, bb.p99Ms)}, deliveries/s ${ratio(pb.opsPerSec, bb.opsPerSec)} of bare ws`)
  ratios.push(`${n} clients server CPU per delivery: paced ${ratio(cpuOf(pp), cpuOf(bp))}, burst ${ratio(cpuOf(pb), cpuOf(bb))} of bare ws`)
}
report({
  name: 'camera-broadcast',
  description: `A controller-reported change fanned out to v1 clients (clients in a child process) vs bare ws sending the same bytes: ${RATE} changes/s for ${DURATION_MS / 1000} s, then a burst of ${BURST}; ${ROUNDS} alternating rounds per subject, pooled.`,
  rows,
  ratios,
})
await ask({ cmd: 'close' })
child.kill()
await core.stop()
bare.close()
http.close()
