// One publisher → 1,000 subscribers: deliveries per second (windowed burst) and latency percentiles
// (paced, 100 msg/s), Pitwall's /ws bus against a bare `ws` broadcast and Socket.IO, same run, same clients.
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Server as SocketIoServer } from 'socket.io'
import { WebSocketServer } from 'ws'
import { parseConfig } from '../src/main/config/index.ts'
import { createCore } from '../src/main/core/index.ts'
import { ratio, report, type Row } from './lib.ts'

const SUBS = Number(process.env.BENCH_SUBS ?? 1000)
const WINDOW = 16
const BURST = Number(process.env.BENCH_BURST ?? 200)
const PACED = Number(process.env.BENCH_PACED ?? 50)
const CLIENTS = fileURLToPath(new URL('./messaging-clients.ts', import.meta.url))

interface Result {
  deliveriesPerSec: number
  /** Server CPU time (user + system) per delivery during the burst: robust on a shared machine. */
  serverCpuUsPerDelivery: number
  p50: number
  p95: number
  p99: number
  samples: number
}

function runClients(subject: string, url: string, token = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(CLIENTS, [subject, url, token, String(SUBS), String(WINDOW), String(BURST), String(PACED)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    let cpu0 = process.cpuUsage()
    let serverCpuUs = 0
    const timer = setTimeout(() => child.kill(), 120_000)
    child.on('message', (m: { phase?: string; result?: Omit<Result, 'serverCpuUsPerDelivery'> }) => {
      if (m.phase === 'burst-start') cpu0 = process.cpuUsage()
      if (m.phase === 'burst-end') {
        const d = process.cpuUsage(cpu0)
        serverCpuUs = d.user + d.system
      }
      if (m.phase) child.send('go')
      if (m.result) {
        clearTimeout(timer)
        resolve({ ...m.result, serverCpuUsPerDelivery: serverCpuUs / (BURST * SUBS) })
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${subject} clients exited with ${code}`))
    })
  })
}

async function bareWs(): Promise<Result> {
  const server = createServer()
  const wss = new WebSocketServer({ server, perMessageDeflate: false })
  // The ws README's broadcast: the received buffer, sent to every other client.
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      for (const c of wss.clients) if (c !== ws && c.readyState === c.OPEN) c.send(data, { binary: isBinary })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  try {
    return await runClients('ws', `ws://127.0.0.1:${port}`)
  } finally {
    for (const c of wss.clients) c.terminate()
    wss.close()
    server.close()
  }
}

async function socketIo(): Promise<Result> {
  const server = createServer()
  const ioServer = new SocketIoServer(server, { transports: ['websocket'], perMessageDeflate: false })
  ioServer.on('connection', (s) => s.on('msg', (m: string) => s.broadcast.emit('msg', m)))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  try {
    return await runClients('socket.io', `http://127.0.0.1:${port}`)
  } finally {
    ioServer.close()
    server.close()
  }
}

async function pitwall(): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pitwall-bench-'))
  const core = await createCore(
    parseConfig({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logToConsole: false,
      logLevel: 'error',
      adminPassword: 'bench-admin-pw',
      timing: { source: 'none' },
      device: { source: 'sim' },
      messaging: { maxConnections: SUBS + 100, rateLimit: 100_000, rateBurst: 100_000 },
    }),
  )
  try {
    const { token } = await core.ctx.auth.issue('admin', 'admin')
    return await runClients('pitwall', core.url.replace('http:', 'ws:'), token)
  } finally {
    await core.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

// The machines are shared: run the subjects in turns and keep each one's best round.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const best = (rs: Result[]): Result => ({
  deliveriesPerSec: Math.max(...rs.map((r) => r.deliveriesPerSec)),
  serverCpuUsPerDelivery: Math.min(...rs.map((r) => r.serverCpuUsPerDelivery)),
  p50: Math.min(...rs.map((r) => r.p50)),
  p95: Math.min(...rs.map((r) => r.p95)),
  p99: Math.min(...rs.map((r) => r.p99)),
  samples: rs.reduce((n, r) => n + r.samples, 0),
})
const runs: Record<string, Result[]> = { ws: [], pw: [], sio: [] }
const only = process.env.BENCH_ONLY
for (let round = 0; round < ROUNDS; round++) {
  if (!only || only === 'ws') runs.ws!.push(await bareWs())
  if (!only || only === 'pitwall') runs.pw!.push(await pitwall())
  if (!only || only === 'socket.io') runs.sio!.push(await socketIo())
}
if (only) {
  console.log(JSON.stringify(runs))
  process.exit(0)
}
const ws = best(runs.ws!)
const pw = best(runs.pw!)
const sio = best(runs.sio!)
const row = (subject: string, r: Result): Row => ({
  case: `1 publisher → ${SUBS} subscribers`,
  subject,
  opsPerSec: r.deliveriesPerSec,
  p50Ms: r.p50,
  p95Ms: r.p95,
  p99Ms: r.p99,
  extra: `server CPU ${r.serverCpuUsPerDelivery.toFixed(2)} µs/delivery; ${r.samples} latency samples at 10 msg/s; best of ${ROUNDS} rounds`,
})
report({
  name: 'messaging',
  description: `One publisher to ${SUBS} subscribers on loopback. Throughput: ${BURST} messages with ${WINDOW} in flight (deliveries/s). Latency: ${PACED} messages at 10/s (each delivery's publish→receive time). Clients run in a separate process; server CPU per delivery is measured in the server process during the burst (the machines are shared, so it is the steadiest figure). Pitwall stores every message in history (SQLite) before delivering it.`,
  rows: [row('bare ws', ws), row('pitwall /ws', pw), row('socket.io', sio)],
  ratios: [
    `pitwall throughput ${ratio(pw.deliveriesPerSec, ws.deliveriesPerSec)} bare ws (goal ≥ 0.8×), p99 ${ratio(pw.p99, ws.p99)} bare ws (goal ≤ 1.25×), server CPU per delivery ${ratio(pw.serverCpuUsPerDelivery, ws.serverCpuUsPerDelivery)} bare ws`,
    `socket.io throughput ${ratio(sio.deliveriesPerSec, ws.deliveriesPerSec)} bare ws, p99 ${ratio(sio.p99, ws.p99)} bare ws; pitwall vs socket.io: throughput ${ratio(pw.deliveriesPerSec, sio.deliveriesPerSec)}, p99 ${ratio(pw.p99, sio.p99)}, server CPU per delivery ${ratio(pw.serverCpuUsPerDelivery, sio.serverCpuUsPerDelivery)}`,
  ],
})
process.exit(0)
