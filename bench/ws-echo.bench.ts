// WebSocket echo round trips through Pitwall's LAN server (Fastify + upgrade router + origin check)
// against a bare `ws` server, same payloads, same clients, same run.
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket, WebSocketServer } from 'ws'
import { parseConfig } from '../src/main/config/index.ts'
import { createCore } from '../src/main/core/index.ts'
import { ratio, report, type Row, summarize } from './lib.ts'

const CLIENTS = 50
const DURATION_MS = 3000
const PAYLOAD = JSON.stringify({ t: 'echo', data: 'x'.repeat(48) })

async function run(url: string, subject: string): Promise<Row[]> {
  // Connection setup: upgrade latency.
  const setup: number[] = []
  const sockets: WebSocket[] = []
  for (let i = 0; i < CLIENTS; i++) {
    const t0 = performance.now()
    const ws = new WebSocket(url, { perMessageDeflate: false })
    await new Promise((r, j) => ws.once('open', r).once('error', j))
    setup.push(performance.now() - t0)
    sockets.push(ws)
  }
  // Closed-loop echo: each client sends, waits for the echo, sends again.
  const rtts: number[] = []
  const end = performance.now() + DURATION_MS
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          let t0 = 0
          const next = () => {
            if (performance.now() >= end) return resolve()
            t0 = performance.now()
            ws.send(PAYLOAD)
          }
          ws.on('message', () => {
            rtts.push(performance.now() - t0)
            next()
          })
          next()
        }),
    ),
  )
  for (const ws of sockets) ws.terminate()
  return [
    { case: `echo, ${CLIENTS} clients closed-loop`, subject, opsPerSec: rtts.length / (DURATION_MS / 1000), ...summarize(rtts) },
    { case: `upgrade (connect), ${CLIENTS} sequential`, subject, opsPerSec: 1000 / (setup.reduce((a, b) => a + b, 0) / setup.length), ...summarize(setup) },
  ]
}

function echo(wss: WebSocketServer): void {
  wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })))
}

// Baseline: bare ws on a plain http server.
const http = createServer()
const bare = new WebSocketServer({ server: http, perMessageDeflate: false })
echo(bare)
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
const bareUrl = `ws://127.0.0.1:${(http.address() as { port: number }).port}/echo`

// Pitwall: the real LAN server with an echo endpoint mounted like any room's.
const core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-bench-')), logToConsole: false, logLevel: 'warn', adminPassword: 'bench-password', timing: { source: 'none' } }))
const lanWss = new WebSocketServer({ noServer: true, perMessageDeflate: false })
echo(lanWss)
core.ctx.lan.ws('/bench/echo', (req, socket, head) => lanWss.handleUpgrade(req, socket, head, (ws) => lanWss.emit('connection', ws, req)))
const lanUrl = `${core.url.replace('http', 'ws')}/bench/echo`

// Warm both paths once, then alternate and keep the second round, so JIT warm-up and machine
// noise fall on both subjects alike.
await run(bareUrl, 'warm-up')
await run(lanUrl, 'warm-up')
const rows: Row[] = []
rows.push(...(await run(bareUrl, 'bare ws')))
rows.push(...(await run(lanUrl, 'pitwall LAN server')))
const [bareEcho, bareUp, pwEcho, pwUp] = rows
report({
  name: 'ws-echo',
  description: `WebSocket echo (64-byte JSON) through the LAN server vs a bare \`ws\` server: ${CLIENTS} clients in a closed loop for ${DURATION_MS / 1000} s each.`,
  rows,
  ratios: [
    `echo throughput ${ratio(pwEcho!.opsPerSec, bareEcho!.opsPerSec)} of bare ws; p50 ${ratio(pwEcho!.p50Ms, bareEcho!.p50Ms)}, p99 ${ratio(pwEcho!.p99Ms, bareEcho!.p99Ms)}`,
    `upgrade p50 ${ratio(pwUp!.p50Ms, bareUp!.p50Ms)}, p99 ${ratio(pwUp!.p99Ms, bareUp!.p99Ms)} of bare ws (routing, origin check, Fastify)`,
  ],
})
await core.stop()
bare.close()
http.close()
