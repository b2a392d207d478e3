// A change reported by the camera controller reaching 50, 500 and 1,000 camera API v1 clients, against
// a bare `ws` server broadcasting the same bytes, in the same run. The clients live in a child process
// (camera-broadcast.clients.ts) so they do not share the server's event loop; latency is measured from
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
import { ratio, report, type Row, sleep } from './lib.ts'

const SIZES = (process.env.BENCH_SIZES ?? '50,500,1000').split(',').map(Number)
const RATE = 100 // changes per second, paced
const DURATION_MS = Number(process.env.BENCH_MS ?? 3000)
const BURST = 200 // changes back to back, for the saturation case
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

async function waitAll(expected: number): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if ((await ask({ cmd: 'count' })).count === expected) return
    await sleep(20)
  }
  throw new Error(`clients did not receive all ${expected} messages`)
}

async function paced(change: (v: number) => void, clients: number, subject: string): Promise<Row> {
  await ask({ cmd: 'reset' })
  const sent: number[] = []
  const total = Math.round((RATE * DURATION_MS) / 1000)
  const start = now()
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / RATE
    const wait = due - now()
    if (wait > 1) await sleep(wait)
    sent.push(now())
    change(nextValue())
  }
  await waitAll(total * clients)
  const r = await ask({ cmd: 'collect', sent })
  const secs = ((r.last as number) - (r.first as number)) / 1000
  return { case: `${RATE} changes/s to ${clients} clients`, subject, opsPerSec: (r.deliveries as number) / secs, p50Ms: r.p50 as number, p95Ms: r.p95 as number, p99Ms: r.p99 as number }
}

async function burst(change: (v: number) => void, clients: number, subject: string): Promise<Row> {
  await ask({ cmd: 'reset' })
  const sent: number[] = []
  for (let k = 0; k < BURST; k++) {
    sent.push(now())
    change(nextValue())
    if (k % 10 === 9) await new Promise((r) => setImmediate(r)) // let the sockets write, as a real event loop would
  }
  await waitAll(BURST * clients)
  const r = await ask({ cmd: 'collect', sent })
  const secs = ((r.last as number) - (r.first as number)) / 1000
  return { case: `burst of ${BURST} changes to ${clients} clients`, subject, opsPerSec: (r.deliveries as number) / secs, p50Ms: r.p50 as number, p95Ms: r.p95 as number, p99Ms: r.p99 as number }
}

async function measure(url: string, change: (v: number) => void, clients: number, subject: string): Promise<Row[]> {
  await ask({ cmd: 'connect', url, n: clients })
  await sleep(200)
  await paced(change, clients, 'warm-up')
  const rows = [await paced(change, clients, subject), await burst(change, clients, subject)]
  await ask({ cmd: 'close' })
  await sleep(200)
  return rows
}

const rows: Row[] = []
const ratios: string[] = []
for (const n of SIZES) {
  const [bp, bb] = await measure(bareUrl, bareChange, n, 'bare ws')
  const [pp, pb] = await measure(pwUrl, pwChange, n, 'pitwall v1')
  rows.push(bp!, pp!, bb!, pb!)
  ratios.push(`${n} clients paced: p99 ${ratio(pp!.p99Ms, bp!.p99Ms)} (p50 ${ratio(pp!.p50Ms, bp!.p50Ms)}), deliveries/s ${ratio(pp!.opsPerSec, bp!.opsPerSec)} of bare ws`)
  ratios.push(`${n} clients burst: p99 ${ratio(pb!.p99Ms, bb!.p99Ms)}, deliveries/s ${ratio(pb!.opsPerSec, bb!.opsPerSec)} of bare ws`)
}
report({
  name: 'camera-broadcast',
  description: `A controller-reported change fanned out to v1 clients (clients in a child process) vs bare ws sending the same bytes: ${RATE} changes/s for ${DURATION_MS / 1000} s, then a burst of ${BURST}.`,
  rows,
  ratios,
})
await ask({ cmd: 'close' })
child.kill()
await core.stop()
bare.close()
http.close()
