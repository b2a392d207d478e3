// The RMonitor timing source drops and comes back mid-race. A TCP proxy between Pitwall and
// `pitwall rmonitor-server` cuts the line (and refuses reconnects for a while) as the race goes on; a
// second core that follows the server directly is the reference. After the reconnect the state resumes:
// the same cars, no duplicates, no stale laps, positions 1..N, equal to the reference. When the timing
// server itself is killed and a new race starts, the old field's cars do not linger.
import { type ChildProcess, spawn } from 'node:child_process'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { startCore, type TestCore, until } from '../integration/timing/helpers.ts'

const BIN = fileURLToPath(new URL('../../bin/pitwall.js', import.meta.url))
const procs: ChildProcess[] = []
const cores: TestCore[] = []
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL')
  await Promise.all(cores.map((c) => c.stop()))
})

function rmonitorServer(args: string[]): Promise<{ port: number; proc: ChildProcess }> {
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
  })
}

/** A TCP proxy that can cut every connection and refuse new ones while `down`. */
class Proxy {
  readonly server: Server
  readonly #pairs = new Set<[Socket, Socket]>()
  down = false
  accepted = 0
  constructor(target: number) {
    this.server = createServer((client) => {
      if (this.down) return void client.destroy()
      this.accepted++
      const upstream = createConnection(target, '127.0.0.1')
      const pair: [Socket, Socket] = [client, upstream]
      this.#pairs.add(pair)
      for (const s of pair) s.on('error', () => {}).on('close', () => (pair[0].destroy(), pair[1].destroy(), this.#pairs.delete(pair)))
      client.pipe(upstream)
      upstream.pipe(client)
    })
  }
  listen(): Promise<number> {
    return new Promise((r) => this.server.listen(0, '127.0.0.1', () => r((this.server.address() as { port: number }).port)))
  }
  cut(): void {
    for (const [a, b] of this.#pairs) a.destroy(), b.destroy()
  }
  close(): void {
    this.cut()
    this.server.close()
  }
}

type Row = [number: string, laps: number, position: number]
const rows = (c: TestCore): Row[] =>
  [...c.timing.store.cars.values()].map((x) => [x.number, x.lastLapCompleted, x.overallPosition] as Row).sort((a, b) => (a[0] < b[0] ? -1 : 1))

function wellFormed(r: Row[], cars: number): void {
  expect(r).toHaveLength(cars)
  expect(new Set(r.map((x) => x[0])).size).toBe(cars)
  expect(r.map((x) => x[2]).sort((a, b) => a - b)).toEqual(Array.from({ length: cars }, (_, i) => i + 1))
}

describe('fault: the RMonitor timing source drops and comes back mid-race', () => {
  it('a cut line (refused for 2 s while the race goes on): state resumes equal to an uninterrupted follower', async () => {
    const { port } = await rmonitorServer(['--generate', '--cars', '20', '--port', '0', '--speed', '20', '--seed', '11'])
    const proxy = new Proxy(port)
    const proxyPort = await proxy.listen()
    const a = await startCore({ source: `rmonitor:127.0.0.1:${proxyPort}`, record: false })
    const ref = await startCore({ source: `rmonitor:127.0.0.1:${port}`, record: false })
    cores.push(a, ref)
    try {
      await until(() => a.timing.store.cars.size === 20 && [...a.timing.store.cars.values()].some((c) => c.lastLapCompleted >= 2), 20_000, '20 cars on lap 2')
      const lapsBefore = rows(a).reduce((n, r) => n + r[1], 0)
      proxy.down = true
      proxy.cut()
      await until(() => a.timing.source.state !== 'live', 5000, 'the source to notice the cut')
      expect(a.timing.store.session.isLive).toBe(false)
      await new Promise((r) => setTimeout(r, 2000)) // the race goes on without us; reconnects are refused
      proxy.down = false
      await until(() => a.timing.source.state === 'live', 15_000, 'the reconnect')
      expect(proxy.accepted).toBeGreaterThanOrEqual(2)
      // The follower catches up with the reference: same cars, same laps, same order, nothing duplicated.
      await until(() => JSON.stringify(rows(a)) === JSON.stringify(rows(ref)), 10_000, 'A to equal the uninterrupted follower')
      wellFormed(rows(a), 20)
      expect(rows(a).reduce((n, r) => n + r[1], 0)).toBeGreaterThan(lapsBefore) // laps done while cut off are there
      expect(a.timing.store.session.isLive).toBe(true)
    } finally {
      proxy.close()
    }
  }, 60_000)

  it('the timing server is killed and a new, smaller race starts: no stale cars from the old field', async () => {
    const first = await rmonitorServer(['--generate', '--cars', '20', '--port', '0', '--speed', '20', '--seed', '5'])
    const a = await startCore({ source: `rmonitor:127.0.0.1:${first.port}`, record: false })
    cores.push(a)
    await until(() => a.timing.store.cars.size === 20 && [...a.timing.store.cars.values()].some((c) => c.lastLapCompleted >= 1), 20_000, '20 cars racing')
    first.proc.kill('SIGKILL')
    await until(() => a.timing.source.state !== 'live', 5000, 'the source to notice')
    await rmonitorServer(['--generate', '--cars', '8', '--classes', '1', '--port', String(first.port), '--speed', '20', '--seed', '6'])
    await until(() => a.timing.source.state === 'live', 15_000, 'the reconnect')
    await until(() => a.timing.store.cars.size === 8, 10_000, 'the new 8-car field only').catch((err) => {
      console.log('cars after the new race started:', JSON.stringify(rows(a)), a.timing.store.session.sessionId, a.timing.store.session.sessionName)
      throw err
    })
    await until(() => [...a.timing.store.cars.values()].every((c) => c.overallPosition > 0), 10_000, 'positions for the new field')
    wellFormed(rows(a), 8)
  }, 60_000)
})
