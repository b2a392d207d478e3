// The RMonitor TCP path end to end: `pitwall rmonitor-server` (a real child process) serving like
// Orbits, Pitwall's rmonitor:HOST:PORT source following it, reconnecting when the server comes back.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { capturePath } from '../../helpers/shared.ts'
import { startCore, type TestCore, until } from './helpers.ts'

const BIN = fileURLToPath(new URL('../../../bin/pitwall.js', import.meta.url))
let procs: ChildProcess[] = []
let cores: TestCore[] = []
afterEach(async () => {
  for (const p of procs) p.kill('SIGTERM')
  procs = []
  await Promise.all(cores.map((c) => c.stop()))
  cores = []
})

function server(args: string[]): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [BIN, 'rmonitor-server', '--host', '127.0.0.1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  procs.push(proc)
  return new Promise((resolve, reject) => {
    let out = ''
    const t = setTimeout(() => reject(new Error(`no banner: ${out}`)), 10_000)
    proc.stdout!.on('data', (d) => {
      out += d
      const m = /RMonitor server on [^:]+:(\d+)/.exec(out)
      if (m) {
        clearTimeout(t)
        resolve({ port: Number(m[1]), proc })
      }
    })
    proc.stderr!.on('data', (d) => (out += d))
    proc.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
  })
}

describe('rmonitor-server + rmonitor source', () => {
  it('follows a generated 40-car race served over TCP', async () => {
    const { port } = await server(['--generate', '--cars', '40', '--port', '0', '--speed', '30', '--seed', '7'])
    const a = await startCore({ source: `rmonitor:127.0.0.1:${port}`, record: true })
    cores.push(a)
    await until(() => a.timing.store.cars.size === 40 && [...a.timing.store.cars.values()].some((c) => c.lastLapCompleted >= 2), 20_000, '40 cars on lap 2')
    const cars = [...a.timing.store.cars.values()]
    expect(new Set(cars.map((c) => c.class)).size).toBeGreaterThan(1)
    expect(cars.filter((c) => c.overallPosition > 0).map((c) => c.overallPosition).sort((x, y) => x - y)).toEqual(cars.map((_, i) => i + 1))
    expect(a.timing.source.state).toBe('live')
    expect(a.timing.source.broken).toBe(0)
    const recs = await a.timing.recorder.list()
    expect(recs[0]!.file).toMatch(/rmonitor\.txt$/)
  }, 40_000)

  it('replays a capture with --file --speed and reconnects after the server restarts', async () => {
    const file = capturePath('orbits-mock-session.txt')
    let { port, proc } = await server(['--file', file, '--speed', '50', '--port', '0'])
    const a = await startCore({ source: `rmonitor:127.0.0.1:${port}`, record: false })
    cores.push(a)
    await until(() => a.timing.store.cars.size === 6, 10_000, 'the 6 cars')
    proc.kill('SIGTERM')
    await until(() => a.timing.source.state !== 'live', 5_000, 'the source to notice')
    ;({ proc } = await server(['--file', file, '--speed', 'max', '--port', String(port)]))
    await until(() => a.timing.source.state === 'live' && [...a.timing.store.cars.values()].every((c) => c.lastLapCompleted > 0), 15_000, 'reconnect and the final laps')
    const bySix = [...a.timing.store.cars.values()].sort((x, y) => x.overallPosition - y.overallPosition).map((c) => c.number)
    expect(bySix).toHaveLength(6)
  }, 40_000)

  it('survives a hostile feed: garbage, an endless line, binary; counts what it skips and keeps the good records', async () => {
    const srv = createServer((sock) => {
      sock.write('$B,3,"Hostile"\r\n$C,1,"GT"\r\n$A,"9","9",1,"A","B","",1\r\n')
      sock.write('garbage line\r\n$G,x,"9",1,"00:01:00.000"\r\n')
      sock.write(Buffer.from([0, 1, 2, 255, 254, 13, 10]))
      sock.write('$' + 'A'.repeat(200_000))
      sock.write('\r\n$G,1,"9",3,"00:05:00.000"\r\n$F,10,"00:10:00","12:00:00","00:05:00","Green "\r\n')
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    try {
      const a = await startCore({ source: `rmonitor:127.0.0.1:${(srv.address() as AddressInfo).port}`, record: false })
      cores.push(a)
      await until(() => a.timing.store.cars.get('9')?.lastLapCompleted === 3, 5000, 'the good records after the junk')
      expect(a.timing.store.session).toMatchObject({ sessionName: 'Hostile', currentFlag: 1 })
      expect(a.timing.source.broken).toBeGreaterThanOrEqual(3)
    } finally {
      srv.close()
    }
  })

  it('refuses bad flags with one line and exit code 2', async () => {
    const proc = spawn(process.execPath, [BIN, 'rmonitor-server', '--generate', '--file', 'x'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    proc.stderr!.on('data', (d) => (err += d))
    const code = await new Promise((r) => proc.on('exit', r))
    expect(code).toBe(2)
    expect(err.trim().split('\n')).toHaveLength(1)
  })
})
