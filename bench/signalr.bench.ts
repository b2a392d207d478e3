// SignalR hub server vs a bare `ws` server doing the same work (parse the hub frame, echo the argument
// back as a Completion; broadcast one pre-serialised Invocation), JSON and MessagePack, same clients
// (raw `ws` sockets decoding with the official client's protocol codecs), same run.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode, encode } from '@msgpack/msgpack'
import { type HubMessage as ClientMessage, JsonHubProtocol, NullLogger } from '@microsoft/signalr'
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack'
import { WebSocket, WebSocketServer } from 'ws'
import { parseConfig } from '../src/main/config/index.ts'
import { createCore } from '../src/main/core/index.ts'
import { frameVarInt, splitVarIntFrames } from '../src/main/signalr/index.ts'
import { ratio, report, type Row, summarize } from './lib.ts'

const RS = '\x1e'
const SINGLE_CALLS = 3000
const MANY_CLIENTS = 100
const MANY_CALLS_EACH = 60
const FANOUT = 1000
const BROADCASTS = 30
const ARG = { car: 42, lap: 17, time: '1:23.456', gap: 0.482, flags: ['green'] }

type ProtocolName = 'json' | 'messagepack'
const codecs = { json: new JsonHubProtocol(), messagepack: new MessagePackHubProtocol() }

/** A raw WebSocket SignalR peer: handshake (hub only), invocations with ids, counts Tick messages. */
class Peer {
  ws: WebSocket
  protocol: ProtocolName
  #pending = new Map<string, () => void>()
  #next = 0
  ticks = 0
  onTick: (() => void) | undefined
  constructor(ws: WebSocket, protocol: ProtocolName) {
    this.ws = ws
    this.protocol = protocol
    ws.on('message', (data: Buffer, binary: boolean) => this.#receive(data, binary))
  }
  static async open(url: string, protocol: ProtocolName, handshake: boolean): Promise<Peer> {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    await new Promise((r, j) => ws.once('open', r).once('error', j))
    if (handshake) {
      const answered = new Promise((r) => ws.once('message', r))
      ws.send(JSON.stringify({ protocol, version: 1 }) + RS)
      await answered
    }
    return new Peer(ws, protocol)
  }
  #receive(data: Buffer, binary: boolean): void {
    const input = binary ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data.toString('utf8')
    for (const m of codecs[this.protocol].parseMessages(input as string & ArrayBuffer, NullLogger.instance) as ClientMessage[]) {
      if (m.type === 3) {
        const done = this.#pending.get(m.invocationId!)
        this.#pending.delete(m.invocationId!)
        done?.()
      } else if (m.type === 1 && m.target === 'Tick') {
        this.ticks++
        this.onTick?.()
      }
    }
  }
  invoke(target: string, arg: unknown): Promise<void> {
    const invocationId = String(this.#next++)
    const bytes = codecs[this.protocol].writeMessage({ type: 1, invocationId, target, arguments: [arg], streamIds: [] } as never)
    return new Promise((resolve) => {
      this.#pending.set(invocationId, resolve)
      this.ws.send(bytes)
    })
  }
}

/** The baseline: bare `ws`, parsing and answering the same frames with the same libraries, no hub machinery. */
function bareServer(): Promise<{ url: (p: ProtocolName) => string; wss: WebSocketServer; close: () => void }> {
  const http = createServer()
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  wss.on('connection', (ws, req) => {
    const mp = req.url?.includes('messagepack')
    ws.on('message', (data: Buffer) => {
      if (mp) {
        for (const f of splitVarIntFrames(data)) {
          const m = decode(f) as unknown[]
          if (m[0] === 1) ws.send(frameVarInt(encode([3, {}, m[2], 3, (m[4] as unknown[])[0]])))
        }
      } else {
        for (const part of data.toString('utf8').split(RS)) {
          if (!part) continue
          const m = JSON.parse(part) as { type: number; invocationId: string; arguments: unknown[] }
          if (m.type === 1) ws.send(JSON.stringify({ type: 3, invocationId: m.invocationId, result: m.arguments[0] }) + RS)
        }
      }
    })
  })
  return new Promise((resolve) =>
    http.listen(0, '127.0.0.1', () => {
      const port = (http.address() as { port: number }).port
      resolve({ url: (p) => `ws://127.0.0.1:${port}/${p}`, wss, close: () => (wss.close(), http.close()) })
    }),
  )
}

async function openMany(n: number, url: string, protocol: ProtocolName, handshake: boolean): Promise<Peer[]> {
  const peers: Peer[] = []
  for (let i = 0; i < n; i += 50) peers.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => Peer.open(url, protocol, handshake)))))
  return peers
}

async function invocations(peers: Peer[], callsEach: number): Promise<{ opsPerSec: number; lat: number[] }> {
  const lat: number[] = []
  const t0 = performance.now()
  await Promise.all(
    peers.map(async (p) => {
      for (let i = 0; i < callsEach; i++) {
        const s = performance.now()
        await p.invoke('Echo', ARG)
        lat.push(performance.now() - s)
      }
    }),
  )
  return { opsPerSec: (peers.length * callsEach) / ((performance.now() - t0) / 1000), lat }
}

async function broadcast(peers: Peer[], send: (seq: number) => void): Promise<{ opsPerSec: number; lat: number[] }> {
  const lat: number[] = []
  const t0 = performance.now()
  for (let seq = 0; seq < BROADCASTS; seq++) {
    const target = peers.map((p) => p.ticks + 1)
    const s = performance.now()
    await new Promise<void>((resolve) => {
      let left = peers.length
      for (const [i, p] of peers.entries()) {
        p.onTick = () => {
          if (p.ticks === target[i]) {
            p.onTick = undefined
            if (--left === 0) resolve()
          }
        }
      }
      send(seq)
    })
    lat.push(performance.now() - s)
  }
  return { opsPerSec: (peers.length * BROADCASTS) / ((performance.now() - t0) / 1000), lat }
}

const dataDir = mkdtempSync(join(tmpdir(), 'pw-bench-signalr-'))
const core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, logLevel: 'warn', adminPassword: 'bench-password', timing: { source: 'none' } }))
const hub = core.ctx.signalr.hub('/hubs/diag')!
const hubUrl = `${core.url.replace('http', 'ws')}/hubs/diag`
const bare = await bareServer()

const rows: Row[] = []
const ratios: string[] = []
for (const protocol of ['json', 'messagepack'] as const) {
  const subjects = [
    { name: 'pitwall hub', url: hubUrl, handshake: true, send: (seq: number) => hub.all.send('Tick', { seq, ...ARG }) },
    {
      name: 'bare ws',
      url: bare.url(protocol),
      handshake: false,
      send: (seq: number) => {
        const bytes = codecs[protocol].writeMessage({ type: 1, target: 'Tick', arguments: [{ seq, ...ARG }] } as never)
        for (const ws of bare.wss.clients) ws.send(bytes)
      },
    },
  ]
  const byCase = new Map<string, Row[]>()
  const add = (r: Row) => {
    rows.push(r)
    byCase.set(r.case, [...(byCase.get(r.case) ?? []), r])
  }
  for (const s of subjects) {
    // Warm-up, then measure.
    const one = await Peer.open(s.url, protocol, s.handshake)
    await invocations([one], 300)
    const r1 = await invocations([one], SINGLE_CALLS)
    add({ case: `${protocol}: invoke, 1 client sequential`, subject: s.name, opsPerSec: r1.opsPerSec, ...summarize(r1.lat) })
    one.ws.terminate()

    const many = await openMany(MANY_CLIENTS, s.url, protocol, s.handshake)
    const r100 = await invocations(many, MANY_CALLS_EACH)
    add({ case: `${protocol}: invoke, ${MANY_CLIENTS} clients`, subject: s.name, opsPerSec: r100.opsPerSec, ...summarize(r100.lat) })
    for (const p of many) p.ws.terminate()

    const fan = await openMany(FANOUT, s.url, protocol, s.handshake)
    await broadcast(fan, s.send) // warm-up
    const rb = await broadcast(fan, s.send)
    add({ case: `${protocol}: broadcast to ${FANOUT}`, subject: s.name, opsPerSec: rb.opsPerSec, ...summarize(rb.lat), extra: 'deliveries/s; latency = until the last client has it' })
    for (const p of fan) p.ws.terminate()
    await new Promise((r) => setTimeout(r, 200))
  }
  for (const [name, [pw, base]] of byCase) {
    ratios.push(`${name}: throughput ${ratio(pw!.opsPerSec, base!.opsPerSec)} of bare ws; p50 ${ratio(pw!.p50Ms, base!.p50Ms)}, p99 ${ratio(pw!.p99Ms, base!.p99Ms)}`)
  }
}

report({
  name: 'signalr',
  description: `SignalR hub (/hubs/diag Echo, hub.all.send) vs bare ws doing the same framing and codec work; ${SINGLE_CALLS} sequential invocations on 1 client, ${MANY_CLIENTS}×${MANY_CALLS_EACH} on ${MANY_CLIENTS} clients, ${BROADCASTS} broadcasts to ${FANOUT} connections.`,
  rows,
  ratios,
})
await core.stop()
bare.close()
rmSync(dataDir, { recursive: true, force: true })
