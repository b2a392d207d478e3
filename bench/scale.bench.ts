// Cross-instance delivery over the Redis backplane against single-instance delivery, same run, same
// clients: one publisher on instance A → N /ws subscribers on A (no Redis: the baseline), on A with
// Redis configured (history in Redis), and on B (every message crosses Redis). Latency percentiles
// from a paced phase, deliveries per second from a windowed burst. Needs `redis-server` on PATH.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { parseConfig } from '../src/main/config/index.ts'
import { type Core, createCore } from '../src/main/core/index.ts'
import { RedisServer } from '../test/helpers/redis.ts'
import { ratio, report, type Row, summarize } from './lib.ts'

const SUBS = Number(process.env.BENCH_SUBS ?? 50)
const PACED = Number(process.env.BENCH_PACED ?? 300)
const BURST = Number(process.env.BENCH_BURST ?? 2000)
const WINDOW = 32
const SECRET = 'bench-secret-shared-by-the-instances-0123456789'

async function core(name: string, redis?: string): Promise<{ core: Core; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `pw-bench-scale-${name}-`))
  const c = await createCore(
    parseConfig({
      name,
      port: 0,
      host: '127.0.0.1',
      dataDir: dir,
      logToConsole: false,
      logLevel: 'warn',
      adminPassword: 'bench-admin-pw',
      timing: { source: 'none' },
      device: { source: 'sim' },
      tokenSecret: SECRET,
      messaging: { rateLimit: 100_000, rateBurst: 100_000 },
      ...(redis ? { redis } : {}),
    }),
  )
  return { core: c, dir }
}

async function token(c: Core, user: string): Promise<string> {
  if (!c.ctx.auth.listUsers().some((u) => u.username === user)) await c.ctx.auth.createUser({ username: user, password: `password-${user}`, role: 'operator' })
  return (await c.ctx.auth.issue(user, 'operator')).token
}

async function open(c: Core, user: string, onMessage?: (text: string) => void): Promise<WebSocket> {
  const ws = new WebSocket(`${c.url.replace('http:', 'ws:')}/ws?token=${await token(c, user)}`, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject)
    ws.once('message', () => resolve()) // welcome
  })
  if (onMessage) {
    ws.send(JSON.stringify({ type: 'Subscribe', data: { topics: ['bench.#'] }, id: 's' }))
    await new Promise<void>((resolve) => ws.once('message', () => resolve())) // Ack
    ws.on('message', (d: Buffer) => onMessage(d.toString()))
  }
  return ws
}

const RE = /"i":(\d+),"ts":([\d.]+)/

async function measure(pubCore: Core, subCore: Core, label: string): Promise<Row[]> {
  const counts = new Map<number, number>()
  let latencies: number[] = []
  let waiting: { i: number; resolve: () => void } | undefined
  let done = -1
  const onMessage = (text: string) => {
    const m = RE.exec(text)
    if (!m) return
    const i = Number(m[1])
    latencies.push(performance.now() - Number(m[2]))
    const n = (counts.get(i) ?? 0) + 1
    counts.set(i, n)
    if (n === SUBS) {
      counts.delete(i)
      done = Math.max(done, i)
      if (waiting && done >= waiting.i) {
        const w = waiting
        waiting = undefined
        w.resolve()
      }
    }
  }
  const subs: WebSocket[] = []
  for (let k = 0; k < SUBS; k++) subs.push(await open(subCore, 'subscriber', onMessage))
  const pub = await open(pubCore, 'publisher')
  const send = (i: number) => pub.send(JSON.stringify({ type: 'Broadcast', data: { topic: 'bench.t', payload: { i, ts: performance.now() } } }))
  const until = (i: number) => (done >= i ? Promise.resolve() : new Promise<void>((resolve) => (waiting = { i, resolve })))
  let next = 0
  // Warm-up.
  for (let k = 0; k < 50; k++) send(next++)
  await until(next - 1)
  // Paced: one message every 5 ms, latency of every delivery.
  latencies = []
  for (let k = 0; k < PACED; k++) {
    send(next++)
    await new Promise((r) => setTimeout(r, 5))
  }
  await until(next - 1)
  const paced = summarize(latencies)
  // Burst: at most WINDOW messages in flight.
  const t0 = performance.now()
  const first = next
  while (next < first + BURST) {
    if (next - done > WINDOW) await until(next - WINDOW)
    send(next++)
  }
  await until(next - 1)
  const secs = (performance.now() - t0) / 1000
  for (const ws of [...subs, pub]) ws.close()
  return [
    { case: `paced, 1 publisher → ${SUBS} subscribers`, subject: label, ...paced },
    { case: `burst ${BURST} × ${SUBS} subscribers`, subject: label, opsPerSec: (BURST * SUBS) / secs },
  ]
}

const redis = new RedisServer()
await redis.start()
const solo = await core('solo')
const a = await core('A', redis.url)
const b = await core('B', redis.url)
await new Promise((r) => setTimeout(r, 500)) // backplanes up, subscriptions in place
try {
  // A first round warms every path up (JIT, connections); the second is reported.
  const round = async () => ({
    single: await measure(solo.core, solo.core, 'single instance (no Redis)'),
    local: await measure(a.core, a.core, 'same instance, Redis configured'),
    cross: await measure(a.core, b.core, 'cross-instance via Redis'),
  })
  await round()
  const { single, local, cross } = await round()
  report({
    name: 'scale',
    description: `One publisher → ${SUBS} /ws subscribers: single instance vs across two instances on one redis-server`,
    rows: [...single, ...local, ...cross],
    ratios: [
      `cross-instance vs single instance: p99 ${ratio(cross[0]!.p99Ms, single[0]!.p99Ms)}, p50 ${ratio(cross[0]!.p50Ms, single[0]!.p50Ms)}, throughput ${ratio(cross[1]!.opsPerSec, single[1]!.opsPerSec)}`,
      `same instance with Redis vs without: p99 ${ratio(local[0]!.p99Ms, single[0]!.p99Ms)}, throughput ${ratio(local[1]!.opsPerSec, single[1]!.opsPerSec)}`,
    ],
  })
} finally {
  for (const x of [solo, a, b]) {
    await x.core.stop()
    rmSync(x.dir, { recursive: true, force: true })
  }
  await redis.kill()
}
