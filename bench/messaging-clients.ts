// Client side of bench/messaging.bench.ts (its own process, so clients and server do not share an event loop):
// N subscribers + 1 publisher against one subject; prints one JSON line with the results.
import { io, type Socket } from 'socket.io-client'
import { WebSocket } from 'ws'

const [subject, url, token, subsArg, windowArg, burstArg, pacedArg] = process.argv.slice(2) as [string, string, string, string, string, string, string]
const SUBS = Number(subsArg)
const WINDOW = Number(windowArg)
const BURST = Number(burstArg)
const PACED = Number(pacedArg)
const PAD = 'x'.repeat(96)
const RE = /"i":(\d+),"ts":([\d.]+)/

const counts = new Map<number, number>()
let onAllReceived: (i: number) => void = () => {}
let latencies: number[] | undefined

function received(text: string): void {
  const now = performance.now()
  const m = RE.exec(text)
  if (!m) return
  const i = Number(m[1])
  latencies?.push(now - Number(m[2]))
  const n = (counts.get(i) ?? 0) + 1
  counts.set(i, n)
  if (n === SUBS) {
    counts.delete(i)
    onAllReceived(i)
  }
}

type Pub = (i: number) => void

async function connectWs(path: string, subscribe: boolean): Promise<WebSocket> {
  const ws = new WebSocket(url + path, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject)
    if (!subscribe) {
      ws.once('open', () => resolve())
      return
    }
    ws.on('message', function first(data: Buffer) {
      const m = data.toString()
      if (m.includes('"connected"')) ws.send(JSON.stringify({ type: 'Subscribe', data: { topics: ['bench.topic'] } }))
      else if (m.includes('"subscribed"')) {
        ws.off('message', first)
        resolve()
      }
    })
  })
  return ws
}

async function setup(): Promise<Pub> {
  if (subject === 'socket.io') {
    const conns: Socket[] = []
    for (let i = 0; i < SUBS; i++) {
      const s = io(url, { transports: ['websocket'], forceNew: true, reconnection: false })
      s.on('msg', (m: string) => received(m))
      conns.push(s)
      if (i % 100 === 99) await Promise.all(conns.slice(-100).map((c) => (c.connected ? 0 : new Promise((r) => c.once('connect', () => r(0))))))
    }
    await Promise.all(conns.map((c) => (c.connected ? 0 : new Promise((r) => c.once('connect', () => r(0))))))
    const pub = io(url, { transports: ['websocket'], forceNew: true, reconnection: false })
    await new Promise((r) => pub.once('connect', () => r(0)))
    return (i) => pub.emit('msg', `{"i":${i},"ts":${performance.now()},"pad":"${PAD}"}`)
  }
  const pitwall = subject === 'pitwall'
  const path = pitwall ? `/ws?token=${token}` : '/'
  for (let b = 0; b < SUBS; b += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, SUBS - b) }, () => connectWs(path, pitwall)))
    for (const ws of batch) ws.on('message', (d: Buffer) => received(d.toString()))
  }
  const pub = await connectWs(path, false)
  if (pitwall) return (i) => pub.send(`{"type":"Broadcast","data":{"topic":"bench.topic","payload":{"i":${i},"ts":${performance.now()},"pad":"${PAD}"}}}`)
  return (i) => pub.send(`{"i":${i},"ts":${performance.now()},"pad":"${PAD}"}`)
}

/** Tells the parent (which measures the server's CPU time) where a phase starts and ends. */
function phase(name: string): Promise<void> {
  if (!process.send) return Promise.resolve()
  return new Promise((resolve) => {
    process.send!({ phase: name })
    process.once('message', () => resolve())
  })
}

async function main(): Promise<void> {
  const publish = await setup()
  // Throughput: a window of WINDOW messages in flight; a message is done when all subscribers have it.
  let next = 0
  await phase('burst-start')
  const t0 = performance.now()
  await new Promise<void>((resolve) => {
    let done = 0
    onAllReceived = () => {
      done++
      if (next < BURST) publish(next++)
      if (done === BURST) resolve()
    }
    while (next < Math.min(WINDOW, BURST)) publish(next++)
  })
  const elapsed = performance.now() - t0
  await phase('burst-end')
  // Latency: paced publishing well under saturation.
  latencies = []
  await new Promise<void>((resolve) => {
    let done = 0
    onAllReceived = () => {
      if (++done === PACED) resolve()
    }
    let i = 0
    const timer = setInterval(() => {
      publish(BURST + i++)
      if (i === PACED) clearInterval(timer)
    }, 100)
  })
  const sorted = Float64Array.from(latencies).sort()
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
  process.send?.({ result: { deliveriesPerSec: (BURST * SUBS) / (elapsed / 1000), p50: pct(50), p95: pct(95), p99: pct(99), samples: sorted.length } })
  process.disconnect?.()
  process.exit(0)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
