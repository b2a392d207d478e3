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
const SINGLE_CALLS = 1500
const MANY_CLIENTS = 100
const MANY_CALLS_EACH = 30
const FANOUT = 1000
const BROADCASTS = 10
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
const ROUNDS = 3
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
  // The machine is shared and noisy: connect everything once, warm up, then alternate the subjects for
  // several rounds and keep each subject's best round.
  const peers: Array<{ s: (typeof subjects)[number]; one: Peer; many: Peer[]; fan: Peer[] }> = []
  for (const s of subjects) {
    const one = await Peer.open(s.url, protocol, s.handshake)
    const many = await openMany(MANY_CLIENTS, s.url, protocol, s.handshake)
    const fan = await openMany(FANOUT, s.url, protocol, s.handshake)
    await invocations([one], 300)
    await invocations(many, 5)
    peers.push({ s, one, many, fan })
  }
  const cases = [
    { name: `${protocol}: invoke, 1 client sequential`, run: (p: (typeof peers)[number]) => invocations([p.one], SINGLE_CALLS) },
    { name: `${protocol}: invoke, ${MANY_CLIENTS} clients`, run: (p: (typeof peers)[number]) => invocations(p.many, MANY_CALLS_EACH) },
    { name: `${protocol}: broadcast to ${FANOUT}`, run: (p: (typeof peers)[number]) => broadcast(p.fan, p.s.send), extra: 'deliveries/s; latency = until the last client has it' },
  ]
  for (const c of cases) {
    const best = new Map<string, { opsPerSec: number; lat: number[] }>()
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of peers) {
        const r = await c.run(p)
        if (!best.has(p.s.name) || r.opsPerSec > best.get(p.s.name)!.opsPerSec) best.set(p.s.name, r)
      }
    }
    const [pw, base] = subjects.map((s) => {
      const r = best.get(s.name)!
      const row: Row = { case: c.name, subject: s.name, opsPerSec: r.opsPerSec, ...summarize(r.lat), extra: c.extra }
      rows.push(row)
      return row
    })
    ratios.push(`${c.name}: throughput ${ratio(pw!.opsPerSec, base!.opsPerSec)} of bare ws; p50 ${ratio(pw!.p50Ms, base!.p50Ms)}, p99 ${ratio(pw!.p99Ms, base!.p99Ms)}`)
  }
  for (const p of peers) for (const x of [p.one, ...p.many, ...p.fan]) x.ws.terminate()
  await new Promise((r) => setTimeout(r, 300))
}

report({
  name: 'signalr',
  description: `SignalR hub (/hubs/diag Echo, hub.all.send) vs bare ws doing the same framing and codec work; ${SINGLE_CALLS} sequential invocations on 1 client, ${MANY_CLIENTS}×${MANY_CALLS_EACH} on ${MANY_CLIENTS} clients, ${BROADCASTS} broadcasts to ${FANOUT} connections; best of ${ROUNDS} alternating rounds.`,
  rows,
  ratios,
})
await core.stop()
bare.close()
rmSync(dataDir, { recursive: true, force: true })
