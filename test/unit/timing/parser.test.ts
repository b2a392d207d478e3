import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { splitCapture, parseHeader } from '../../../src/main/timing/rmonitor/capture.ts'
import { formatRecord, LineSplitter, MAX_LINE, parseRecord, type RMonitorRecord } from '../../../src/main/timing/rmonitor/parser.ts'
import { formatGap, formatRmTime, parseTimeMs, rmonitorFlag } from '../../../src/shared/timing.ts'

const ok = (line: string) => {
  const r = parseRecord(line)
  if (!r.ok) throw new Error(`${line}: ${r.reason}`)
  return r.record
}

describe('RMonitor parser: every record type of research §4.1', () => {
  it('$F heartbeat keeps the fixed-width flag', () => {
    expect(ok('$F,14,"00:12:45","13:34:23","00:09:47","Green "')).toEqual({ type: 'F', lapsToGo: 14, timeToGo: '00:12:45', timeOfDay: '13:34:23', raceTime: '00:09:47', flag: 'Green ' })
  })
  it('$A competitor and $COMP extended competitor', () => {
    expect(ok('$A,"1234BE","12X",52474,"John","Johnson","USA",5')).toEqual({ type: 'A', regNo: '1234BE', number: '12X', transponder: 52474, firstName: 'John', lastName: 'Johnson', nationality: 'USA', classNo: 5 })
    expect(ok('$COMP,"1234BE","12X",5,"John","Johnson","USA","CAMEL"')).toEqual({ type: 'COMP', regNo: '1234BE', number: '12X', classNo: 5, firstName: 'John', lastName: 'Johnson', nationality: 'USA', additional: 'CAMEL' })
  })
  it('$B run, $C class, $E setting', () => {
    expect(ok('$B,5,"Friday free practice"')).toEqual({ type: 'B', runNo: 5, description: 'Friday free practice' })
    expect(ok('$C,5,"Formula 3000"')).toEqual({ type: 'C', classNo: 5, description: 'Formula 3000' })
    expect(ok('$E,"TRACKLENGTH","2.500"')).toEqual({ type: 'E', name: 'TRACKLENGTH', value: '2.500' })
  })
  it('$G race info with and without laps', () => {
    expect(ok('$G,3,"1234BE",14,"01:12:47.872"')).toEqual({ type: 'G', position: 3, regNo: '1234BE', laps: 14, totalTime: '01:12:47.872' })
    expect(ok('$G,10,"89",,"00:00:00.000"')).toMatchObject({ laps: null })
  })
  it('$H practice/qualifying, $I init (also with spaces after commas), $J passing, $COR correction', () => {
    expect(ok('$H,2,"1234BE",3,"00:02:17.872"')).toEqual({ type: 'H', position: 2, regNo: '1234BE', bestLap: 3, bestTime: '00:02:17.872' })
    expect(ok('$I, "00:00:00", "0/0/0000"')).toEqual({ type: 'I', time: '00:00:00', date: '0/0/0000' })
    expect(ok('$J,"1234BE","00:02:03.826","01:42:17.672"')).toEqual({ type: 'J', regNo: '1234BE', lapTime: '00:02:03.826', totalTime: '01:42:17.672' })
    expect(ok('$COR,"123BE","658",2,"00:00:35.272","+00:00:00.012"')).toEqual({ type: 'COR', regNo: '123BE', number: '658', laps: 2, totalTime: '00:00:35.272', correction: '+00:00:00.012' })
  })
  it('IMSA $L line crossing and $T track description', () => {
    expect(ok('$L,"40","P2","POP","01/27/2009","08:00:05.894"')).toEqual({ type: 'L', regNo: '40', lineNumber: 'P2', lineName: 'POP', date: '01/27/2009', time: '08:00:05.894', driverId: null, className: null })
    expect(ok('$T,"Sebring","SEB","3.7",2,"S1","SF","T7",5000,"S2","T7","SF",14536')).toMatchObject({ type: 'T', shortName: 'SEB', sections: [{ name: 'S1', start: 'SF', end: 'T7', distance: 5000 }, { name: 'S2', distance: 14536 }] })
  })
  it('quoted commas and doubled quotes survive', () => {
    expect(ok('$COMP,"7","7",1,"Smith, Jr.","O""Neil","",""')).toMatchObject({ firstName: 'Smith, Jr.', lastName: 'O"Neil' })
  })
  it('formats every record back to a line that parses to the same record', () => {
    const samples = ['$F,9999,"00:00:00","07:59:36","00:59:59","      "', '$A,"21","21",8852130,"Farnbacher /","James","Panoz Esperante",1', '$COMP,"1","1",1,"John","Smith","",""', '$B,95,"Test Race"', '$C,1,"GT2"', '$E,"TRACKNAME","Brands Hatch"', '$G,1,"1",,"00:00:02.051"', '$H,1,"1",0,"00:00:00.000"', '$I,"10:03:08","27 Jan 09"', '$J,"21","00:00:00.000","00:00:56.665"', '$COR,"1","1",2,"00:00:35.272","+00:00:00.012"', '$L,"46","P1","SFP","01/27/2009","10:02:24.387"', '$T,"A","B","1.0",1,"S1","SF","T1",100']
    for (const line of samples) expect(ok(formatRecord(ok(line)))).toEqual(ok(line))
  })
})

describe('broken lines are reported, never thrown', () => {
  it.each([
    ['', 'does not start with $'],
    ['Change to 60 seconds later', 'does not start with $'],
    ['$F,9999,"00:00:00"', 'expected 5 fields'],
    ['$G,x,"1",2,"00:00:01.000"', 'not an integer'],
    ['$A,"1","1",12,"unterminated', 'unterminated'],
    ['$ZZZ,5,"x"', 'unknown record type'],
    ['$T,"A","B","1",3,"S1","SF","T1",100', '3 sections announced'],
    ['$' + 'x'.repeat(MAX_LINE), 'longer than'],
  ])('%s', (line, reason) => {
    const r = parseRecord(line)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toContain(reason)
  })

  it('no input throws (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('$F,', '$A,', '$COMP,', '$G,', '$H,', '$J,', '$I,', '$L,', '$T,', '$B,', '$C,', '$E,', '$COR,', ''), (s, tag) => {
        const r = parseRecord(tag + s)
        expect(typeof r.ok).toBe('boolean')
      }),
      { numRuns: 3000 },
    )
  })
})

describe('stream framing', () => {
  it('splits CR LF, LF and CR, drops a BOM, cuts overlong lines and keeps going', () => {
    const lines: string[] = []
    let overflows = 0
    const s = new LineSplitter((l) => lines.push(l), () => overflows++)
    s.push('\ufeff$B,1,"a"\r\n$C,1,')
    s.push('"GT"\r$E,"X","Y"\n' + 'y'.repeat(MAX_LINE + 10))
    s.push('zz\r\n$B,2,"b"')
    s.end()
    expect(lines).toEqual(['$B,1,"a"', '$C,1,"GT"', '$E,"X","Y"', '$B,2,"b"'])
    expect(overflows).toBe(1)
  })

  it('groups a capture by its ## headers, or by heartbeats when it has none', () => {
    const headed = splitCapture('\ufeff##2025-04-26 14:44:13.478\r\n$I, "00:00:00", "0/0/0000"\r\n\r\n##2025-04-26 14:44:14.000\r\n$B,1,"x"\r\n$C,1,"y"\r\n')
    expect(headed).toEqual([{ atMs: Date.UTC(2025, 3, 26, 14, 44, 13, 478), lines: ['$I, "00:00:00", "0/0/0000"'] }, { atMs: Date.UTC(2025, 3, 26, 14, 44, 14), lines: ['$B,1,"x"', '$C,1,"y"'] }])
    const plain = splitCapture('$A,"1","1",1,"a","b","",1\n$F,1,"0","0","0","Green "\n$G,1,"1",1,"00:01:00.000"\n$F,1,"0","0","0","Green "\n')
    expect(plain.map((b) => b.lines.length)).toEqual([2, 2])
    expect(parseHeader('##garbage')).toBeNull()
  })
})

describe('time helpers', () => {
  it('parses and formats RMonitor times and RedMist gaps', () => {
    expect(parseTimeMs('01:12:47.872')).toBe(4_367_872)
    expect(parseTimeMs('00:02:17.8')).toBe(137_800)
    expect(parseTimeMs('08:00:00')).toBe(28_800_000)
    expect(parseTimeMs('nope')).toBeNaN()
    expect(formatRmTime(4_367_872)).toBe('01:12:47.872')
    expect(formatGap(1204)).toBe('1.204')
    expect(formatGap(65_010)).toBe('1:05.010')
    expect(formatGap(3_725_000)).toBe('1:02:05.000')
    expect(rmonitorFlag('Finish')).toBe(5)
    expect(rmonitorFlag('      ')).toBe(0)
  })
})

describe('found by test/fuzz/rmonitor.fuzz.test.ts', () => {
  it('$L without a driver id but with a class formats back to the same record', () => {
    const r = ok('$L,"12","1","Line","2026-11-22","10:00:00.000",,"GT3"')
    expect(r).toMatchObject({ driverId: null, className: 'GT3' })
    expect(ok(formatRecord(r))).toEqual(r)
  })

  it('a whole over-long line inside one chunk is reported, never passed on', () => {
    const lines: string[] = []
    let overflows = 0
    const s = new LineSplitter((l) => lines.push(l), () => overflows++)
    s.push(`${'x'.repeat(MAX_LINE + 1)}\r\n$I,"1","2"\r\n`)
    expect(overflows).toBe(1)
    expect(lines).toEqual(['$I,"1","2"'])
  })
})

// Keep the type import used.
export type { RMonitorRecord }
