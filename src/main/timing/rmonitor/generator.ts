// A synthetic race as RMonitor records: any number of cars and classes, a realistic lap-time spread,
// pit stops (IMSA $L pit-in/pit-out crossings), yellow and red flags, a checkered flag, then a new race.
// Deterministic for a given seed; driven by simulated time so tests and the TCP server can run it at
// any speed.
import { formatRmTime } from '../../../shared/timing.ts'
import type { RMonitorRecord } from './parser.ts'

export interface GeneratorOptions {
  cars: number
  /** Class names, fastest first (default: 4 classes, or fewer for small fields). */
  classes?: string[]
  seed?: number
  /** Race length in simulated minutes. */
  durationMinutes?: number
  /** Typical lap of the fastest class, seconds. */
  baseLapSeconds?: number
  /** Chance per simulated minute of a full-course yellow. */
  yellowPerMinute?: number
  /** Chance per simulated minute of a red flag. */
  redPerMinute?: number
  /** Pause between the checkered flag and the next race. */
  restartAfterSeconds?: number
  /** Wall-clock ms at simulated time 0 (time of day in $F). */
  startWallMs?: number
  runNo?: number
  trackName?: string
}

interface SimCar {
  regNo: string
  number: string
  classNo: number
  first: string
  last: string
  team: string
  transponder: number
  pace: number
  laps: number
  totalMs: number
  lastLapMs: number
  bestMs: number
  bestLap: number
  nextCrossMs: number
  nextPitLap: number
  pitOutAtMs: number | null
  finished: boolean
  position: number
}

type Phase = 'pre' | 'green' | 'yellow' | 'red' | 'finishing' | 'done'

const DEFAULT_CLASSES = ['GTP', 'LMP2', 'GTD PRO', 'GTD']
const CLASS_PACE = [1, 1.055, 1.1, 1.115]
const FIRST = ['Alex', 'Sam', 'Jordan', 'Chris', 'Taylor', 'Morgan', 'Jamie', 'Casey', 'Robin', 'Drew', 'Kim', 'Lee', 'Pat', 'Quinn', 'Ray', 'Sky']
const LAST = ['Hart', 'Reyes', 'Novak', 'Berg', 'Costa', 'Moreau', 'Kato', 'Lind', 'Walsh', 'Ibarra', 'Stone', 'Fox', 'Grant', 'Okafor', 'Brandt', 'Sato']
const TEAMS = ['Apex Motorsport', 'Redline Racing', 'Northwind', 'Kestrel GT', 'Blue Hour', 'Iron Lake', 'Vantage', 'Silverline']

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class RaceGenerator {
  readonly #o: Required<GeneratorOptions>
  readonly #rand: () => number
  #cars: SimCar[] = []
  #now = 0
  #raceStart = 0
  #phase: Phase = 'pre'
  #phaseUntil = 0
  #nextHeartbeat = 0
  #runNo: number
  #finishAt = 0
  /** Races completed (a new one starts after the restart pause). */
  races = 0

  constructor(opts: GeneratorOptions) {
    const classes = opts.classes ?? DEFAULT_CLASSES.slice(0, Math.max(1, Math.min(4, Math.ceil(opts.cars / 5))))
    this.#o = {
      classes,
      seed: 1,
      durationMinutes: 60,
      baseLapSeconds: 95,
      yellowPerMinute: 0.04,
      redPerMinute: 0.003,
      restartAfterSeconds: 60,
      startWallMs: Date.now(),
      runNo: 1,
      trackName: 'Pitwall Raceway',
      ...opts,
    }
    if (!(this.#o.cars >= 1 && this.#o.cars <= 500)) throw new RangeError('cars must be 1..500')
    this.#rand = mulberry32(this.#o.seed)
    this.#runNo = this.#o.runNo
  }

  get nowMs(): number {
    return this.#now
  }

  get phase(): Phase {
    return this.#phase
  }

  /** The opening burst: reset, run, track, classes, entries, grid. Call once, then advance(). */
  begin(): RMonitorRecord[] {
    const o = this.#o
    const out: RMonitorRecord[] = [{ type: 'I', time: this.#tod(), date: this.#date() }]
    out.push({ type: 'B', runNo: this.#runNo, description: `Race ${this.#runNo}` })
    out.push({ type: 'E', name: 'TRACKNAME', value: o.trackName }, { type: 'E', name: 'TRACKLENGTH', value: '3.200' })
    o.classes.forEach((name, i) => out.push({ type: 'C', classNo: i + 1, description: name }))
    this.#cars = []
    this.#pendingPitIn = []
    for (let i = 0; i < o.cars; i++) {
      // Faster classes start at the front, as in a multi-class grid.
      const classNo = Math.min(o.classes.length, 1 + Math.floor((i * o.classes.length) / o.cars))
      const number = String(classNo * 100 + 1 + i)
      const paceClass = CLASS_PACE[classNo - 1] ?? 1 + 0.05 * classNo
      const car: SimCar = {
        regNo: number,
        number,
        classNo,
        first: FIRST[Math.floor(this.#rand() * FIRST.length)]!,
        last: LAST[Math.floor(this.#rand() * LAST.length)]!,
        team: TEAMS[Math.floor(this.#rand() * TEAMS.length)]!,
        transponder: 1_000_000 + Math.floor(this.#rand() * 8_000_000),
        pace: o.baseLapSeconds * 1000 * paceClass * (1 + (this.#rand() - 0.5) * 0.02 + (i / o.cars) * 0.004),
        laps: 0,
        totalMs: 0,
        lastLapMs: 0,
        bestMs: 0,
        bestLap: 0,
        nextCrossMs: 0,
        nextPitLap: 18 + Math.floor(this.#rand() * 10),
        pitOutAtMs: null,
        finished: false,
        position: i + 1,
      }
      this.#cars.push(car)
      out.push({ type: 'A', regNo: car.regNo, number: car.number, transponder: car.transponder, firstName: car.first, lastName: car.last, nationality: '', classNo })
      out.push({ type: 'COMP', regNo: car.regNo, number: car.number, classNo, firstName: car.first, lastName: car.last, nationality: '', additional: car.team })
    }
    for (const car of this.#cars) out.push({ type: 'G', position: car.position, regNo: car.regNo, laps: null, totalTime: '00:00:00.000' })
    for (const car of this.#cars) out.push({ type: 'H', position: car.position, regNo: car.regNo, bestLap: 0, bestTime: '00:00:00.000' })
    this.#phase = 'pre'
    this.#phaseUntil = this.#now + 10_000
    this.#nextHeartbeat = this.#now
    out.push(this.#heartbeat())
    return out
  }

  /** Runs the simulation to `toMs` (simulated ms since begin) and returns the records, in time order, as batches. */
  advance(toMs: number): Array<{ atMs: number; records: RMonitorRecord[] }> {
    const batches: Array<{ atMs: number; records: RMonitorRecord[] }> = []
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = this.#nextEventAt()
      if (next > toMs) break
      this.#now = Math.max(this.#now, next)
      const records = this.#step()
      if (records.length) batches.push({ atMs: this.#now, records })
    }
    this.#now = Math.max(this.#now, toMs)
    return batches
  }

  #nextEventAt(): number {
    let t = this.#nextHeartbeat
    if (this.#phase === 'pre' || this.#phase === 'red' || this.#phase === 'done') return Math.min(t, this.#phaseUntil)
    if (this.#phase === 'yellow') t = Math.min(t, this.#phaseUntil)
    for (const p of this.#pendingPitIn) if (p.at < t) t = p.at
    for (const c of this.#cars) {
      if (c.finished) continue
      if (c.nextCrossMs < t) t = c.nextCrossMs
      if (c.pitOutAtMs !== null && c.pitOutAtMs < t) t = c.pitOutAtMs
    }
    return t
  }

  #step(): RMonitorRecord[] {
    const now = this.#now
    const out: RMonitorRecord[] = []
    // Phase changes.
    if (this.#phase === 'pre' && now >= this.#phaseUntil) {
      this.#phase = 'green'
      this.#raceStart = now
      this.#finishAt = now + this.#o.durationMinutes * 60_000
      this.#cars.forEach((c, i) => (c.nextCrossMs = now + 1500 + i * 350))
    } else if (this.#phase === 'yellow' && now >= this.#phaseUntil) {
      this.#phase = 'green'
    } else if (this.#phase === 'red' && now >= this.#phaseUntil) {
      this.#phase = 'green'
      const pause = this.#phaseUntil - this.#redStart
      for (const c of this.#cars) c.nextCrossMs += pause
    } else if (this.#phase === 'done' && now >= this.#phaseUntil) {
      this.races++
      this.#runNo++
      return this.begin()
    }
    // Cars crossing the line, and pit exits.
    const crossing: SimCar[] = []
    for (let i = this.#pendingPitIn.length - 1; i >= 0; i--) {
      const p = this.#pendingPitIn[i]!
      if (p.at <= now) {
        out.push(this.#line(p.car, 'P3', 'PIP', p.at))
        this.#pendingPitIn.splice(i, 1)
      }
    }
    for (const c of this.#cars) {
      if (c.pitOutAtMs !== null && c.pitOutAtMs <= now) {
        c.pitOutAtMs = null
        out.push(this.#line(c, 'P2', 'POP', now))
      }
      if (!c.finished && this.#phase !== 'pre' && this.#phase !== 'red' && this.#phase !== 'done' && c.nextCrossMs <= now) crossing.push(c)
    }
    if (crossing.length) out.push(...this.#cross(crossing, now))
    if (now >= this.#nextHeartbeat) {
      this.#maybeFlag(now)
      out.push(this.#heartbeat())
      this.#nextHeartbeat = now + 1000 - (now % 1000)
    }
    return out
  }

  #redStart = 0
  #doneAt = 0

  #maybeFlag(now: number): void {
    if (this.#phase !== 'green' || now - this.#raceStart < 120_000) return
    const perSecond = (p: number) => 1 - Math.pow(1 - p, 1 / 60)
    if (this.#rand() < perSecond(this.#o.redPerMinute)) {
      this.#phase = 'red'
      this.#redStart = now
      this.#phaseUntil = now + 60_000 + this.#rand() * 120_000
    } else if (this.#rand() < perSecond(this.#o.yellowPerMinute)) {
      this.#phase = 'yellow'
      this.#phaseUntil = now + this.#o.baseLapSeconds * 1000 * (2 + this.#rand() * 2)
    }
  }

  #cross(crossing: SimCar[], now: number): RMonitorRecord[] {
    const out: RMonitorRecord[] = []
    const before = new Map(this.#cars.map((c) => [c, c.position]))
    const checkered = this.#phase === 'finishing' || now >= this.#finishAt
    for (const c of crossing) {
      const lapMs = c.laps === 0 ? now - this.#raceStart : now - this.#raceStart - c.totalMs
      c.laps++
      c.totalMs = now - this.#raceStart
      c.lastLapMs = c.laps === 1 ? 0 : lapMs
      if (c.lastLapMs > 0 && (c.bestMs === 0 || c.lastLapMs < c.bestMs)) {
        c.bestMs = c.lastLapMs
        c.bestLap = c.laps
      }
      out.push({ type: 'J', regNo: c.regNo, lapTime: formatRmTime(c.lastLapMs), totalTime: formatRmTime(c.totalMs) })
      if (checkered) {
        if (this.#phase !== 'finishing') this.#phase = 'finishing'
        c.finished = true
        continue
      }
      // Next lap: pace, noise, traffic, the odd mistake; slower under yellow; a pit stop every stint.
      let next = c.pace * (1 + (this.#rand() - 0.4) * 0.012)
      if (this.#rand() < 0.03) next += 2000 + this.#rand() * 6000
      if (this.#phase === 'yellow') next *= 1.45
      if (c.laps + 1 >= c.nextPitLap) {
        const stop = 35_000 + this.#rand() * 25_000
        const pitIn = now + next * 0.93
        this.#pendingPitIn.push({ car: c, at: pitIn })
        c.pitOutAtMs = pitIn + stop
        next += stop + 8000
        c.nextPitLap = c.laps + 22 + Math.floor(this.#rand() * 10)
      }
      c.nextCrossMs = now + next
    }
    // Order: laps desc, then who crossed first.
    const order = [...this.#cars].sort((a, b) => b.laps - a.laps || a.totalMs - b.totalMs || a.position - b.position)
    order.forEach((c, i) => (c.position = i + 1))
    for (const c of crossing) out.push({ type: 'G', position: c.position, regNo: c.regNo, laps: c.laps, totalTime: formatRmTime(c.totalMs) })
    // Orbits resends $G for every car whose position moved.
    for (const c of order) {
      if (!crossing.includes(c) && before.get(c) !== c.position) out.push({ type: 'G', position: c.position, regNo: c.regNo, laps: c.laps || null, totalTime: formatRmTime(c.totalMs) })
    }
    const byBest = this.#cars.filter((c) => c.bestMs > 0).sort((a, b) => a.bestMs - b.bestMs)
    for (const c of crossing) {
      const rank = byBest.indexOf(c) + 1
      out.push({ type: 'H', position: rank > 0 ? rank : c.position, regNo: c.regNo, bestLap: c.bestLap, bestTime: formatRmTime(c.bestMs) })
    }
    if (this.#phase === 'finishing' && this.#cars.every((c) => c.finished)) {
      this.#phase = 'done'
      this.#doneAt = now
      this.#phaseUntil = now + Math.max(15, this.#o.restartAfterSeconds) * 1000
    }
    return out
  }

  #pendingPitIn: Array<{ car: SimCar; at: number }> = []

  #line(c: SimCar, lineNumber: string, lineName: string, atMs: number): RMonitorRecord {
    const d = new Date(this.#o.startWallMs + atMs)
    const date = `${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/${d.getUTCFullYear()}`
    return { type: 'L', regNo: c.regNo, lineNumber, lineName, date, time: formatRmTime((this.#o.startWallMs + atMs) % 86_400_000), driverId: null, className: null }
  }

  #heartbeat(): RMonitorRecord {
    // After the checkered flag the timing system goes back to no flag, so the next race starts with a full reset.
    const flag = { pre: '      ', green: 'Green ', yellow: 'Yellow', red: 'Red   ', finishing: 'Finish', done: this.#now - this.#doneAt < 10_000 ? 'Finish' : '      ' }[this.#phase]
    const started = this.#phase !== 'pre'
    const elapsed = started ? this.#now - this.#raceStart : 0
    const toGo = started ? Math.max(0, this.#finishAt - this.#now) : this.#o.durationMinutes * 60_000
    return { type: 'F', lapsToGo: 9999, timeToGo: formatRmTime(toGo).slice(0, 8), timeOfDay: this.#tod(), raceTime: formatRmTime(elapsed).slice(0, 8), flag }
  }

  /** Track time of day, in the machine's local time (as Orbits shows the organiser's clock). */
  #tod(): string {
    const d = new Date(this.#o.startWallMs + this.#now)
    return formatRmTime(((d.getHours() * 60 + d.getMinutes()) * 60 + d.getSeconds()) * 1000).slice(0, 8)
  }

  #date(): string {
    const d = new Date(this.#o.startWallMs + this.#now)
    return `${d.getUTCDate()} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]} ${String(d.getUTCFullYear()).slice(2)}`
  }
}
