// RMonitor lines from a hostile timing feed: into the parser and the session builder directly, and over
// TCP into a running core (`rmonitor:HOST:PORT`) from a fake Orbits that interleaves the real capture
// with junk, over-long lines and random chunking. Broken lines are counted and skipped, nothing throws,
// memory stays bounded (cars capped), and the state built over TCP equals the clean capture's.
import { readFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatRecord, LineSplitter, MAX_LINE, parseRecord } from '../../src/main/timing/rmonitor/parser.ts'
import { RMonitorIngest } from '../../src/main/timing/rmonitor/ingest.ts'
import { SessionBuilder } from '../../src/main/timing/state/builder.ts'
import { capturePath } from '../helpers/shared.ts'
import { comparable, startCore, type TestCore, until } from '../integration/timing/helpers.ts'
import { hostileFrames, LONG, runs, SEED, tally } from './lib.ts'

const CAPTURE = readFileSync(capturePath('orbits-mock-session.txt'), 'utf8').split(/\r?\n/).filter((l) => l.startsWith('$'))
const mutated = hostileFrames(CAPTURE.slice(0, 200)).map((f) => (typeof f === 'string' ? f : f.toString('latin1')))
const recordish = fc
  .tuple(fc.constantFrom('$F', '$A', '$COMP', '$B', '$C', '$E', '$G', '$H', '$I', '$J', '$COR', '$L', '$T', '$X', '$'), fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.string({ maxLength: 12 }).map((s) => `"${s}"`), fc.constantFrom('"', '""', '"a,b"', '00:01:02.345', '-1', '1e309', 'NaN')), { maxLength: 12 }))
  .map(([t, fields]) => [t, ...fields].join(','))
const anyLine = fc.oneof(recordish, mutated, fc.constantFrom(...CAPTURE))

describe('fuzz: RMonitor parser and builder', () => {
  it('parseRecord never throws: a typed record (that formats back to itself) or a reason', () => {
    const t = tally('rmonitor-parser')
    fc.assert(
      fc.property(anyLine, (line) => {
        const r = parseRecord(line)
        if (r.ok) {
          t.count(`ok $${r.record.type}`)
          const again = parseRecord(formatRecord(r.record))
          expect(again).toEqual({ ok: true, record: r.record })
        } else {
          t.count('broken')
          expect(r.reason).toMatch(/\S/)
        }
      }),
      { seed: SEED, numRuns: runs(2000, 200_000) },
    )
    t.save()
  })

  it('the splitter bounds every line; ingest and builder never throw, keep bounded error lists and a capped car count', () => {
    const t = tally('rmonitor-ingest')
    fc.assert(
      fc.property(fc.array(fc.oneof(anyLine, fc.integer({ min: MAX_LINE - 2, max: MAX_LINE + 50 }).map((n) => "w".repeat(n))), { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const ingest = new RMonitorIngest(new SessionBuilder({ eventId: 1 }), () => {})
        const splitter = new LineSplitter(
          (l) => {
            expect(l.length).toBeLessThanOrEqual(MAX_LINE)
            ingest.line(l)
          },
          () => ingest.broken('', 'line too long'),
        )
        const text = lines.join('\r\n')
        let at = 0
        for (const c of [...cuts.map((c) => c % (text.length + 1)).sort((a, b) => a - b), text.length]) {
          splitter.push(text.slice(at, c))
          at = c
        }
        splitter.end()
        ingest.flush()
        t.count(ingest.stats.broken ? 'some broken' : 'all parsed')
        expect(ingest.stats.lastErrors.length).toBeLessThanOrEqual(20)
      }),
      { seed: SEED, numRuns: runs(300, 20_000) },
    )
    // A feed that invents thousands of competitors cannot grow the session without bound.
    const ingest = new RMonitorIngest(new SessionBuilder({ eventId: 1 }), () => {})
    for (let i = 0; i < 5000; i++) ingest.line(`$A,"R${i}","${i}",${i},"F","L","",1`)
    ingest.flush()
    for (let i = 0; i < 5000; i++) ingest.line(`$G,1,"X${i}",1,"00:01:00.000"`)
    ingest.flush()
    t.count('flood of 10000 new cars')
    expect(ingest.builder.cars.size).toBeLessThanOrEqual(500)
    t.save()
  })
})

describe('fuzz: RMonitor over TCP into a running core', () => {
  let server: Server
  let port: number
  let conn: Socket | undefined
  let onConn: ((s: Socket) => void) | undefined
  beforeAll(async () => {
    server = createServer((s) => {
      conn = s
      s.on('error', () => {})
      onConn?.(s)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  let a: TestCore | undefined
  afterAll(async () => a?.stop())

  it('junk between the records (no `$`), over-long lines and any chunking: the same state as the clean capture, broken lines counted', async () => {
    const t = tally('rmonitor-tcp')
    // Reference: the clean capture through the same parser and builder.
    const ref = new RMonitorIngest(new SessionBuilder({ eventId: 1 }), () => {})
    ref.batch(CAPTURE)
    // Junk that can never parse as a record: any text without '$' (so it cannot start a record).
    const junk = fc.oneof(fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('latin1')), fc.constant('z'.repeat(MAX_LINE + 100))).map((s) => s.replace(/\$/g, '#').replace(/^\uFEFF/, ''))
    const stream = await fc.sample(fc.array(junk, { minLength: CAPTURE.length, maxLength: CAPTURE.length }), { seed: SEED, numRuns: 1 })[0]!
    let text = ''
    CAPTURE.forEach((line, i) => {
      const j = stream[i]!
      // Junk on its own line(s) before each record, sometimes with bare CRs or LFs inside.
      text += `${j}\n${line}\r\n`
      t.count(j.length > MAX_LINE ? 'over-long junk line' : 'junk line')
    })
    t.count('record')
    const chunks = fc.sample(fc.integer({ min: 1, max: 700 }), { seed: SEED, numRuns: Math.ceil(text.length / 50) })
    onConn = (s) => {
      let at = 0
      let k = 0
      const pump = () => {
        while (at < text.length && s.writable) {
          const n = chunks[k++ % chunks.length]!
          s.write(Buffer.from(text.slice(at, at + n), 'latin1'))
          at += n
          if (k % 20 === 0) return void setImmediate(pump)
        }
      }
      pump()
    }
    a = await startCore({ source: `rmonitor:127.0.0.1:${port}`, record: false })
    const expected = JSON.stringify(comparable(ref.builder.session.carPositions ? { ...ref.builder.session, carPositions: [...ref.builder.cars.values()] } : ref.builder.session).cars.map((c) => [c.number, c.lastLapCompleted, c.overallPosition]))
    const got = () => JSON.stringify(comparable(a!.timing.store.snapshot()).cars.map((c) => [c.number, c.lastLapCompleted, c.overallPosition]))
    await until(() => got() === expected, 15_000, 'the clean capture state over the junk-filled stream')
    expect(a.timing.source.state).toBe('live')
    expect(a.timing.source.broken).toBeGreaterThan(0)
    // Hostile bytes after the race: a binary flood and endless line — the source stays up and bounded.
    conn!.write(Buffer.alloc(256 * 1024, 0xff))
    conn!.write('y'.repeat(64 * 1024))
    conn!.write('\n')
    await new Promise((r) => setTimeout(r, 300))
    expect(a.timing.source.state).toBe('live')
    expect(got()).toBe(expected)
    expect((await fetch(`${a.core.url}/healthz`)).status).toBe(200)
    t.save()
  }, LONG ? 120_000 : 30_000)
})
