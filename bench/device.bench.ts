// Device bridge over real serial lines (socat PTY pairs), in one run:
//  1. command round trip per driver (PCP SET; VISCA heartbeat = 2 inquiries; VISCA write = command +
//     completion + read-back inquiry), against a bare echo of the same bytes over a PTY pair (the
//     line's floor);
//  2. device event → camera API v1 client: a button pressed on the PCP emulator until the broadcast
//     arrives at a WebSocket client of the real core, against a bare relay (PTY line → bare `ws`).
// Every subject is set up first, then measured in interleaved ABBA rounds, so both see the same
// machine load (the build machines are shared). Emulators run in-process on the far end of the PTY.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket, WebSocketServer } from 'ws'
import { parseConfig } from '../src/main/config/index.ts'
import { createCore } from '../src/main/core/index.ts'
import type { DeviceEngine } from '../src/main/device/index.ts'
import { PcpEmulator } from '../src/main/device/emulators/pcp-emulator.ts'
import { ViscaEmulator } from '../src/main/device/emulators/visca-emulator.ts'
import { PcpSession } from '../src/main/device/pcp/driver.ts'
import { SerialTransport } from '../src/main/device/transport/serial.ts'
import { ViscaSession } from '../src/main/device/visca/driver.ts'
import { ratio, report, type Row, sleep, summarize } from './lib.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8)
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 60)
const ms = () => performance.now()
const procs: ChildProcess[] = []

async function ptyPair(): Promise<{ app: string; dev: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-pty-'))
  const app = join(dir, 'app')
  const dev = join(dir, 'dev')
  procs.push(spawn('socat', [`pty,raw,echo=0,link=${app}`, `pty,raw,echo=0,link=${dev}`], { stdio: 'ignore' }))
  while (!(existsSync(app) && existsSync(dev))) await sleep(10)
  return { app, dev }
}

interface Subject {
  name: string
  op: (i: number) => Promise<unknown>
  lat: number[]
  timeMs: number
}
const subject = (name: string, op: (i: number) => Promise<unknown>): Subject => ({ name, op, lat: [], timeMs: 0 })

/** ABBA… rounds of PER_ROUND operations each, after a warm-up. */
async function measure(subjects: Subject[]): Promise<void> {
  for (const s of subjects) for (let i = 0; i < 20; i++) await s.op(i)
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? subjects : [...subjects].reverse()
    for (const s of order) {
      const t0 = ms()
      for (let i = 0; i < PER_ROUND; i++) {
        const t = ms()
        await s.op(i)
        s.lat.push(ms() - t)
      }
      s.timeMs += ms() - t0
    }
  }
}
const row = (c: string, s: Subject, extra?: string): Row => ({ case: c, subject: s.name, opsPerSec: (s.lat.length * 1000) / s.timeMs, ...summarize(s.lat), extra })

/** A bare echo: `frame` written on one end, `reply` sent back as soon as it is all there. */
async function bareEcho(name: string, baudRate: number, frame: Buffer, reply: Buffer): Promise<Subject> {
  const p = await ptyPair()
  const a = await SerialTransport.open({ path: p.app, baudRate })
  const b = await SerialTransport.open({ path: p.dev, baudRate })
  let got = 0
  b.on('data', (d) => {
    got += d.length
    if (got >= frame.length) {
      got = 0
      b.write(reply)
    }
  })
  let back = 0
  let waiting: (() => void) | undefined
  a.on('data', (d) => {
    back += d.length
    if (back >= reply.length) {
      back = 0
      waiting?.()
    }
  })
  return subject(name, () => new Promise<void>((res) => ((waiting = res), a.write(frame))))
}

const rows: Row[] = []
const ratios: string[] = []

// ---- 1. round trips
{
  const base = await bareEcho('bare PTY echo', 115200, Buffer.from('03 SET BRI=64*27\n'), Buffer.from('03 ACK SET BRI=64*4E\n'))
  const p = await ptyPair()
  const emu = new PcpEmulator()
  emu.attach(await SerialTransport.open({ path: p.dev, baudRate: 115200 }))
  const s = new PcpSession(await SerialTransport.open({ path: p.app, baudRate: 115200 }))
  await s.handshake()
  const pcp = subject('pitwall PCP SET', (i) => s.apply({ brightness: i % 101 }))
  await measure([base, pcp])
  const b = row('round trip @115200', base, '17+21 B')
  const r = row('round trip @115200', pcp)
  rows.push(b, r)
  ratios.push(`PCP SET round trip: p50 ${ratio(r.p50Ms, b.p50Ms)} / p99 ${ratio(r.p99Ms, b.p99Ms)} the bare PTY echo`)
}
{
  const base = await bareEcho('bare PTY echo', 9600, Buffer.from([0x81, 0x09, 0x04, 0x00, 0xff]), Buffer.from([0x90, 0x50, 0x02, 0xff]))
  const p = await ptyPair()
  const cam = new ViscaEmulator()
  cam.attach(await SerialTransport.open({ path: p.dev, baudRate: 9600 }))
  const s = new ViscaSession(await SerialTransport.open({ path: p.app, baudRate: 9600 }))
  await s.handshake()
  const ping = subject('pitwall VISCA heartbeat (2 inquiries)', () => s.ping())
  const write = subject('pitwall VISCA write (cmd+completion+inquiry)', (i) => s.apply({ sharpness: i % 101 }))
  await measure([base, ping, write])
  const b = row('round trip @9600', base, '5+4 B')
  const rp = row('round trip @9600', ping)
  const rw = row('round trip @9600', write, 'emulated completion 5 ms')
  rows.push(b, rp, rw)
  ratios.push(`VISCA heartbeat (2 inquiries): p50 ${ratio(rp.p50Ms, b.p50Ms)} / p99 ${ratio(rp.p99Ms, b.p99Ms)} one bare PTY echo`)
  ratios.push(`VISCA write: p50 ${rw.p50Ms!.toFixed(2)} ms, of which 5 ms is the emulated mechanical completion (+ a read-back inquiry)`)
}

// ---- 2. device event → v1 client
{
  // baseline: a line arrives on a PTY, a bare ws server relays it to one client
  const http = createServer()
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const bp = await ptyPair()
  const ba = await SerialTransport.open({ path: bp.app, baudRate: 115200 })
  const bb = await SerialTransport.open({ path: bp.dev, baudRate: 115200 })
  ba.on('data', (d) => {
    for (const c of wss.clients) c.send(JSON.stringify({ raw: Buffer.from(d).toString('latin1') }))
  })
  const bareClient = new WebSocket(`ws://127.0.0.1:${(http.address() as { port: number }).port}/`)
  await new Promise((r) => bareClient.once('open', r))
  let bareGot: (() => void) | undefined
  bareClient.on('message', () => bareGot?.())
  const bare = subject('bare PTY → ws relay', (i) => new Promise<void>((res) => ((bareGot = res), bb.write(`${(i & 0xff).toString(16).padStart(2, '0')} EVT L1=${i & 1}*00\n`))))

  // Pitwall: the real core on a PTY, the PCP emulator on the other end, a v1 client
  const p = await ptyPair()
  const core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-bench-dev-')), logToConsole: false, logLevel: 'warn', adminPassword: 'bench-password', timing: { source: 'none' }, device: { source: `pcp:${p.app}` } }),
  )
  const emu = new PcpEmulator()
  emu.attach(await SerialTransport.open({ path: p.dev, baudRate: 115200 }))
  const device = core.engines.find((e) => e.name === 'device') as DeviceEngine
  while (device.controller.link.state !== 'connected') await sleep(20)
  await sleep(300) // the model's read-back after connect
  const client = new WebSocket(`${core.url.replace('http', 'ws')}/api/v1`)
  await new Promise((r) => client.once('open', r))
  let got: (() => void) | undefined
  client.on('message', (m) => {
    if (String(m).includes('cam1-light')) got?.()
  })
  const pw = subject('pitwall PCP EVT → /api/v1', () => new Promise<void>((res) => ((got = res), emu.press('light1'))))
  await measure([bare, pw])
  const b = row('device event → 1 WS client', bare)
  const r = row('device event → 1 WS client', pw, 'goal p99 < 15 ms')
  rows.push(b, r)
  ratios.push(`device event → v1 client: p50 ${ratio(r.p50Ms, b.p50Ms)} / p99 ${ratio(r.p99Ms, b.p99Ms)} the bare relay; p99 ${r.p99Ms!.toFixed(2)} ms (${r.p99Ms! < 15 ? 'meets' : 'MISSES'} the 15 ms goal)`)
  client.close()
  bareClient.close()
  wss.close()
  http.close()
  emu.stop()
  await core.stop()
}

for (const p of procs) p.kill()
report({ name: 'device', description: 'Serial round trips per driver and device event → v1 broadcast latency over socat PTY pairs (ABBA rounds)', rows, ratios })
process.exit(0)
