import { describe, expect, it } from 'vitest'
import { parseRecord, type RMonitorRecord } from '../../../src/main/timing/rmonitor/parser.ts'
import { RaceGenerator } from '../../../src/main/timing/rmonitor/generator.ts'
import { SessionBuilder } from '../../../src/main/timing/state/builder.ts'
import { Flags } from '../../../src/shared/timing.ts'

const recs = (...lines: string[]): RMonitorRecord[] =>
  lines.map((l) => {
    const r = parseRecord(l)
    if (!r.ok) throw new Error(r.reason)
    return r.record
  })

const T0 = Date.UTC(2025, 0, 1, 12)
const ENTRY = recs('$B,7,"Race"', '$C,1,"GTO"', '$C,2,"GTU"', '$A,"1","1",11,"A","One","",1', '$A,"2","2",22,"B","Two","",1', '$A,"3","3",33,"C","Three","",2', '$COMP,"3","3",2,"C","Three","","Team C"')
const grid = recs('$G,1,"1",,"00:00:00.000"', '$G,2,"2",,"00:00:00.000"', '$G,3,"3",,"00:00:00.000"')

function started() {
  const b = new SessionBuilder({ eventId: 9 })
  b.processBatch(ENTRY, T0)
  b.processBatch(recs('$F,9999,"01:00:00","12:00:00","00:00:00","Green "'), T0 + 1000)
  b.processBatch(grid, T0 + 1500)
  return b
}

describe('session builder', () => {
  it('emits a whole car once, then only what changed (null/absent = unchanged)', () => {
    const b = new SessionBuilder({ eventId: 9 })
    const first = b.processBatch(ENTRY, T0)
    expect(first.cars).toHaveLength(3)
    expect(first.cars[0]).toMatchObject({ number: '1', class: 'GTO', transponderId: 11, eventId: '9', sessionId: '7' })
    expect(Object.keys(first.cars[0]!).length).toBeGreaterThan(60)
    expect(first.session).toMatchObject({ sessionId: 7, sessionName: 'Race', eventEntries: [{ number: '1', name: 'A One', team: '', class: 'GTO' }, expect.anything(), { number: '3', team: 'Team C', class: 'GTU' }] })
    const again = b.processBatch(ENTRY, T0 + 10)
    expect(again.cars).toEqual([])
    const lap = b.processBatch(recs('$J,"2","00:01:40.000","00:01:41.000"'), T0 + 20)
    expect(lap.cars).toEqual([{ number: '2', lastLapTime: '00:01:40.000', projectedLapTimeMs: 100_000, lastLoopName: 'SF' }])
  })

  it('derives class positions, gaps, differences ("N laps" when lapped) and best-lap flags', () => {
    const b = started()
    b.processBatch(recs('$J,"1","00:01:40.000","00:01:41.000"', '$G,1,"1",1,"00:01:41.000"', '$H,1,"1",1,"00:01:40.000"'), T0 + 102_000)
    b.processBatch(recs('$J,"2","00:01:42.500","00:01:43.500"', '$G,2,"2",1,"00:01:43.500"', '$H,2,"2",1,"00:01:42.500"'), T0 + 104_000)
    b.processBatch(recs('$J,"1","00:01:39.000","00:03:20.000"', '$G,1,"1",2,"00:03:20.000"', '$H,1,"1",2,"00:01:39.000"', '$G,3,"3",1,"00:02:10.000"', '$H,3,"3",1,"00:02:09.000"'), T0 + 201_000)
    const [c1, c2, c3] = ['1', '2', '3'].map((n) => b.cars.get(n)!)
    expect(c1).toMatchObject({ overallPosition: 1, classPosition: 1, overallGap: '', overallDifference: '', isBestTime: true, isBestTimeClass: true })
    expect(c2).toMatchObject({ overallPosition: 2, classPosition: 2, overallGap: '1 lap', overallDifference: '1 lap', inClassGap: '1 lap', isBestTime: false })
    expect(c3).toMatchObject({ overallPosition: 3, classPosition: 1, overallGap: '26.500', overallDifference: '1 lap', inClassGap: '', isBestTimeClass: true })
    expect(c2.overallGapByFastTime).toBe('3.500')
    expect(c3.inClassDifferenceByFastTime).toBe('')
  })

  it('positions gained from the grid, with the single best gainer flagged', () => {
    const b = started()
    b.processBatch(recs('$G,1,"3",1,"00:01:40.000"', '$G,2,"1",1,"00:01:41.000"', '$G,3,"2",1,"00:01:42.000"'), T0 + 100_000)
    expect(b.cars.get('3')).toMatchObject({ overallStartingPosition: 3, overallPositionsGained: 2, isOverallMostPositionsGained: true, inClassPositionsGained: 0 })
    expect(b.cars.get('1')).toMatchObject({ overallPositionsGained: -1, isOverallMostPositionsGained: false })
  })

  it('ignores a lone mid-race "$I, 00:00:00, 0/0/0000" but obeys a reset sequence, keeping last laps mid-race', () => {
    const b = started()
    b.processBatch(recs('$J,"1","00:01:40.000","00:01:41.000"', '$G,1,"1",1,"00:01:41.000"'), T0 + 100_000)
    const lone = b.processBatch(recs('$I, "00:00:00", "0/0/0000"'), T0 + 101_000)
    expect(lone.reset).toBe(false)
    expect(b.cars.size).toBe(3)
    // The same $I read together with a heartbeat (one TCP read) is still not a reset sequence.
    expect(b.processBatch(recs('$I, "00:00:00", "0/0/0000"', '$F,9999,"00:58:00","12:02:00","00:02:00","Green "'), T0 + 101_500).reset).toBe(false)
    expect(b.cars.size).toBe(3)
    const seq = b.processBatch(recs('$I, "00:00:00", "0/0/0000"', '$A,"1","1",11,"A","One","",1', '$A,"2","2",22,"B","Two","",1'), T0 + 102_000)
    expect(seq.reset).toBe(true)
    expect([...b.cars.keys()]).toEqual(['1', '2'])
    expect(b.cars.get('1')!.lastLapTime).toBe('00:01:40.000')
    expect(b.cars.get('1')!.class).toBe('GTO') // classes survive a mid-race reset
  })

  it('a full reset before the start clears classes too', () => {
    const b = new SessionBuilder({ eventId: 1 })
    b.processBatch(ENTRY, T0)
    b.processBatch(recs('$I,"10:03:08","27 Jan 09"', '$A,"5","5",55,"E","Five","",1'), T0 + 10)
    expect(b.cars.get('5')!.class).toBeNull()
    expect(b.session.eventEntries).toEqual([{ number: '5', name: 'E Five', team: '', class: '' }])
  })

  it('a mid-race class change renames the class on the car (TestMidRaceClassChange)', () => {
    const b = started()
    b.processBatch(recs('$C,1,"GP1"'), T0 + 5000)
    expect(b.cars.get('1')!.class).toBe('GP1')
    expect(b.session.eventEntries[0]!.class).toBe('GP1')
  })

  it('keeps flag durations, the session ($B) and marks stale cars', () => {
    const b = started()
    b.processBatch(recs('$J,"1","00:01:40.000","00:01:41.000"', '$G,1,"1",1,"00:01:41.000"'), T0 + 100_000)
    b.processBatch(recs('$F,9999,"00:58:00","12:02:00","00:02:00","Yellow"'), T0 + 120_000)
    b.processBatch(recs('$F,9999,"00:57:00","12:03:00","00:03:00","Green "'), T0 + 180_000)
    expect(b.session.flagDurations.map((f) => [f.flag, f.endTime !== null])).toEqual([[Flags.Green, true], [Flags.Yellow, true], [Flags.Green, false]])
    expect(b.session.currentFlag).toBe(Flags.Green)
    // Car 1 then goes silent for more than 3 laps while the others run.
    for (let i = 1; i <= 3; i++) b.processBatch(recs(`$F,9999,"00:50:00","12:10:00","00:10:00","Green "`), T0 + 700_000 + i)
    expect(b.cars.get('1')!.isStale).toBe(true)
    b.processBatch(recs('$J,"1","00:01:40.000","00:11:41.000"'), T0 + 701_000)
    expect(b.cars.get('1')!.isStale).toBe(false)
    const s = b.processBatch(recs('$B,8,"Qualifying 2"'), T0 + 800_000)
    expect(s.session).toMatchObject({ sessionId: 8, sessionName: 'Qualifying 2', isPracticeQualifying: true })
    expect(s.cars.every((c) => c.sessionId === '8')).toBe(true)
  })

  it('pit-in / pit-out crossings ($L) drive the pit badges and count stops', () => {
    const b = started()
    b.processBatch(recs('$L,"2","P3","PIP","01/01/2025","12:05:00.000"'), T0 + 300_000)
    expect(b.cars.get('2')).toMatchObject({ isInPit: true, isEnteredPit: true, pitStopCount: 1, lapIncludedPit: true })
    b.processBatch(recs('$L,"2","P2","POP","01/01/2025","12:05:40.000"'), T0 + 340_000)
    expect(b.cars.get('2')).toMatchObject({ isInPit: false, isExitedPit: true, pitStopCount: 1, pitDurationMs: 40_000 })
  })
})

describe('race generator', () => {
  it('is deterministic per seed and produces a full race: pits, yellow and red flags, checkered, a new race', () => {
    const run = () => {
      const g = new RaceGenerator({ cars: 30, seed: 42, durationMinutes: 40, yellowPerMinute: 0.3, redPerMinute: 0.05, restartAfterSeconds: 30, startWallMs: T0 })
      const b = new SessionBuilder({ eventId: 1 })
      const types = new Map<string, number>()
      const flags = new Set<number>()
      let lines = 0
      const feed = (r: RMonitorRecord[], at: number) => {
        for (const x of r) types.set(x.type, (types.get(x.type) ?? 0) + 1)
        lines += r.length
        b.processBatch(r, at)
        flags.add(b.session.currentFlag)
      }
      feed(g.begin(), T0)
      for (const batch of g.advance(45 * 60_000)) feed(batch.records, T0 + batch.atMs)
      return { g, b, types, flags, lines }
    }
    const a = run()
    expect(run().lines).toBe(a.lines)
    expect(a.flags).toEqual(new Set([Flags.Unknown, Flags.Green, Flags.Yellow, Flags.Red, Flags.Checkered]))
    expect(a.types.get('L')).toBeGreaterThanOrEqual(10) // pit in + out
    expect(a.types.get('I')).toBe(2) // the second race began
    expect(a.g.races).toBe(1)
    // Lap-time spread: the fastest class laps ~95 s, with a realistic few percent between cars.
    const gen = new RaceGenerator({ cars: 20, seed: 1, durationMinutes: 30, yellowPerMinute: 0, redPerMinute: 0, startWallMs: T0 })
    const b = new SessionBuilder({ eventId: 1 })
    b.processBatch(gen.begin(), T0)
    for (const batch of gen.advance(20 * 60_000)) b.processBatch(batch.records, T0 + batch.atMs)
    const best = [...b.cars.values()].filter((c) => c.class === 'GTP').map((c) => Number(c.bestTime.slice(3, 5)) * 60 + Number(c.bestTime.slice(6)))
    expect(Math.min(...best)).toBeGreaterThan(85)
    expect(Math.max(...best) / Math.min(...best)).toBeLessThan(1.05)
    expect(new Set([...b.cars.values()].map((c) => c.overallPosition)).size).toBe(20)
  })
})

describe('bounded by a hostile feed (found by test/fuzz/rmonitor.fuzz.test.ts)', () => {
  it('caps cars, competitors and classes; the first ones keep working', () => {
    const b = new SessionBuilder({ eventId: 1 })
    const lines: string[] = []
    for (let i = 0; i < 1200; i++) lines.push(`$A,"R${i}","${i}",${i},"F","L","",${i}`, `$C,${i},"Class ${i}"`, `$G,1,"X${i}",1,"00:01:00.000"`)
    b.processBatch(recs(...lines), 1000)
    expect(b.cars.size).toBeLessThanOrEqual(500)
    expect(b.capped).toBeGreaterThan(1000)
    const r = b.processBatch(recs('$G,3,"R0",7,"00:10:00.000"'), 2000)
    expect(b.cars.get('0')).toMatchObject({ lastLapCompleted: 7 })
    expect(r.cars.some((c) => c.number === '0')).toBe(true)
  })
})
