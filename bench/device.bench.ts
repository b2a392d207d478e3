// Device bridge over a real serial line (a socat PTY pair), in one run:
//  1. command round trip per driver (PCP SET; VISCA command + completion + read-back inquiry),
//     against a bare echo of the same bytes over the same PTY pair (the line's floor);
//  2. device event → camera API v1 client: a button pressed on the PCP emulator until the broadcast
//     arrives at a WebSocket client of the real core, against a bare relay (PTY line → bare `ws`).
// Emulators run in-process on the far end of the PTY (no child-process scheduling noise).
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

const N = Number(process.env.BENCH_N ?? 400)
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300)
const rows: Row[] = []
const ratios: string[] = []
const ms = () => performance.now()

async function ptyPair(): Promise<{ app: string; dev: string; proc: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-pty-'))
  const app = join(dir, 'app')
  const dev = join(dir, 'dev')
  const proc = spawn('socat', [`pty,raw,echo=0,link=${app}`, `pty,raw,echo=0,link=${dev}`], { stdio: 'ignore' })
  while (!(existsSync(app) && existsSync(dev))) await sleep(10)
  return { app, dev, proc }
}

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<{ lat: number[]; opsPerSec: number }> {
  for (let i = 0; i < 20; i++) await fn(i) // warm-up
  const lat: number[] = []
  const t0 = ms()
  for (let i = 0; i < n; i++) {
    const s = ms()
    await fn(i)
    lat.push(ms() - s)
  }
  return { lat, opsPerSec: (n * 1000) / (ms() - t0) }
}

// ---- 1. round trips
const pty = await ptyPair()

async function bareEcho(baudRate: number, frame: Buffer, reply: Buffer): Promise<Row> {
  const a = await SerialTransport.open({ path: pty.app, baudRate })
  const b = await SerialTransport.open({ path: pty.dev, baudRate })
  let waiting: (() => void) | undefined
  let got = 0
  b.on('data', (d) => {
    got += d.length
    if (got >= frame.length) {
      got = 0
      b.write(reply)
    }
  })
  let back = 0
  a.on('data', (d) => {
    back += d.length
    if (back >= reply.length) {
      back = 0
      waiting?.()
    }
  })
  const r = await timed(N, () => new Promise<void>((res) => ((waiting = res), a.write(frame))))
  a.close()
  b.close()
  await sleep(50)
  return { case: `round trip @${baudRate}`, subject: 'bare PTY echo', opsPerSec: r.opsPerSec, ...summarize(r.lat), extra: `${frame.length}+${reply.length} B` }
}

{
  const base = await bareEcho(115200, Buffer.from('03 SET BRI=64*27\n'), Buffer.from('03 ACK SET BRI=64*4E\n'))
  const a = await SerialTransport.open({ path: pty.app, baudRate: 115200 })
  const b = await SerialTransport.open({ path: pty.dev, baudRate: 115200 })
  const emu = new PcpEmulator()
  emu.attach(b)
  const s = new PcpSession(a)
  await s.handshake()
  const r = await timed(N, (i) => s.apply({ brightness: i % 101 }))
  const row: Row = { case: 'round trip @115200', subject: 'pitwall PCP SET', opsPerSec: r.opsPerSec, ...summarize(r.lat) }
  rows.push(base, row)
  ratios.push(`PCP SET round trip: p50 ${ratio(row.p50Ms, base.p50Ms)} / p99 ${ratio(row.p99Ms, base.p99Ms)} the bare PTY echo`)
  s.close(new Error('done'))
  emu.stop()
  a.close()
  b.close()
  await sleep(50)
}

{
  // VISCA: command (ACK + Completion) then the read-back inquiry = 2 exchanges per write.
  const base = await bareEcho(9600, Buffer.from([0x81, 0x01, 0x04, 0x42, 0x00, 0x00, 0x00, 0x05, 0xff]), Buffer.from([0x90, 0x41, 0xff, 0x90, 0x51, 0xff]))
  const a = await SerialTransport.open({ path: pty.app, baudRate: 9600 })
  const b = await SerialTransport.open({ path: pty.dev, baudRate: 9600 })
  const cam = new ViscaEmulator()
  cam.attach(b)
  const s = new ViscaSession(a)
  await s.handshake()
  const r = await timed(N, (i) => s.apply({ sharpness: i % 101 }))
  const row: Row = { case: 'round trip @9600', subject: 'pitwall VISCA write (cmd+completion+inquiry)', opsPerSec: r.opsPerSec, ...summarize(r.lat), extra: 'emulator completion delay 5 ms' }
  const inq = await timed(N, () => s.ping())
  const inqRow: Row = { case: 'round trip @9600', subject: 'pitwall VISCA heartbeat (2 inquiries)', opsPerSec: inq.opsPerSec, ...summarize(inq.lat) }
  rows.push(base, row, inqRow)
  ratios.push(`VISCA heartbeat (2 inquiries, no mechanical delay): p50 ${ratio(inqRow.p50Ms, base.p50Ms)} / p99 ${ratio(inqRow.p99Ms, base.p99Ms)} the bare PTY echo`)
  ratios.push(`VISCA write: p50 ${ratio(row.p50Ms, base.p50Ms)} / p99 ${ratio(row.p99Ms, base.p99Ms)} the bare PTY echo (includes the emulated 5 ms mechanical completion and a read-back)`)
  s.close(new Error('done'))
  cam.stop()
  a.close()
  b.close()
  await sleep(50)
}

// ---- 2. device event → v1 client
{
  // baseline: a line arrives on the PTY, a bare ws server relays it to one client
  const http = createServer()
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const a = await SerialTransport.open({ path: pty.app, baudRate: 115200 })
  const b = await SerialTransport.open({ path: pty.dev, baudRate: 115200 })
  a.on('data', (d) => {
    for (const c of wss.clients) c.send(JSON.stringify({ raw: Buffer.from(d).toString('latin1') }))
  })
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as { port: number }).port}/`)
  await new Promise((r) => client.once('open', r))
  let got: (() => void) | undefined
  client.on('message', () => got?.())
  const r = await timed(EVENTS, (i) => new Promise<void>((res) => ((got = res), b.write(`${(i & 0xff).toString(16).padStart(2, '0')} EVT L1=${i & 1}*00\n`))))
  rows.push({ case: 'device event → 1 WS client', subject: 'bare PTY → ws relay', ...summarize(r.lat) })
  client.close()
  wss.close()
  http.close()
  a.close()
  b.close()
  await sleep(50)
}
{
  const core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'pw-bench-dev-')), logToConsole: false, logLevel: 'warn', adminPassword: 'bench-password', timing: { source: 'none' }, device: { source: `pcp:${pty.app}` } }),
  )
  const b = await SerialTransport.open({ path: pty.dev, baudRate: 115200 })
  const emu = new PcpEmulator()
  emu.attach(b)
  const device = core.engines.find((e) => e.name === 'device') as DeviceEngine
  while (device.controller.link.state !== 'connected') await sleep(20)
  await sleep(300) // the model's read-back after connect
  const client = new WebSocket(`${core.url.replace('http', 'ws')}/api/v1`)
  await new Promise((r) => client.once('open', r))
  let got: (() => void) | undefined
  client.on('message', (m) => {
    if (String(m).includes('cam1-light')) got?.()
  })
  const r = await timed(EVENTS, () => new Promise<void>((res) => ((got = res), emu.press('light1'))))
  const row: Row = { case: 'device event → 1 WS client', subject: 'pitwall PCP EVT → /api/v1', ...summarize(r.lat), extra: 'goal p99 < 15 ms' }
  rows.push(row)
  const base = rows.find((x) => x.subject === 'bare PTY → ws relay')!
  ratios.push(`device event → v1 client: p50 ${ratio(row.p50Ms, base.p50Ms)} / p99 ${ratio(row.p99Ms, base.p99Ms)} the bare relay; p99 ${row.p99Ms!.toFixed(2)} ms (${row.p99Ms! < 15 ? 'meets' : 'MISSES'} the 15 ms goal)`)
  client.close()
  emu.stop()
  b.close()
  await core.stop()
}

pty.proc.kill()
report({ name: 'device', description: 'Serial round trips per driver and device event → v1 broadcast latency over a socat PTY pair', rows, ratios })
process.exit(0)
