// The in-car driver payload (research §2.5): [car ahead in class, car ahead overall in another class,
// own car, car behind in class], with gaps and the gain/loss of each car's last lap against the driver's.
import { type CarPosition, type CarStatus, type EventEntry, formatGap, type InCarPayload, lapTerm, parseTimeMs, type SessionState } from '../../shared/timing.ts'

function lapText(ms: number): string {
  return ms > 0 ? formatGap(ms) : ''
}

/** Gap between two cars from their laps and total times: a time, or "N lap(s)". */
function gapBetween(a: CarPosition, b: CarPosition): string {
  if (a.lastLapCompleted !== b.lastLapCompleted) return lapTerm(Math.abs(a.lastLapCompleted - b.lastLapCompleted))
  const ta = parseTimeMs(a.totalTime)
  const tb = parseTimeMs(b.totalTime)
  return ta > 0 && tb > 0 ? formatGap(Math.abs(ta - tb)) : ''
}

function status(car: CarPosition, own: CarPosition, entries: Map<string, EventEntry>, isOwn: boolean): CarStatus {
  const e = entries.get(car.number)
  const mine = parseTimeMs(own.lastLapTime)
  const theirs = parseTimeMs(car.lastLapTime)
  // Positive = the driver gained on that car last lap; a leading "-" is a loss.
  const gl = !isOwn && mine > 0 && theirs > 0 ? (theirs - mine >= 0 ? formatGap(theirs - mine) : '-' + formatGap(mine - theirs)) : ''
  return {
    number: car.number,
    class: car.class ?? '',
    team: e?.team ?? '',
    lastLap: lapText(theirs),
    gainLoss: gl,
    gap: isOwn ? '' : gapBetween(car, own),
    carType: '',
    driver: car.driverName || e?.name || '',
    transponder: car.transponderId,
    imageUrl: '',
  }
}

export function inCarPayload(session: SessionState, cars: Iterable<CarPosition>, number: string): InCarPayload | null {
  const all = [...cars].filter((c) => c.overallPosition > 0).sort((a, b) => a.overallPosition - b.overallPosition)
  const own = all.find((c) => c.number === number)
  if (!own) return null
  const entries = new Map(session.eventEntries.map((e) => [e.number, e]))
  const sameClass = all.filter((c) => (c.class ?? '') === (own.class ?? ''))
  const i = sameClass.indexOf(own)
  const aheadInClass = i > 0 ? sameClass[i - 1]! : null
  const behindInClass = i >= 0 && i < sameClass.length - 1 ? sameClass[i + 1]! : null
  const oi = all.indexOf(own)
  let aheadOther: CarPosition | null = null
  for (let j = oi - 1; j >= 0; j--) {
    if ((all[j]!.class ?? '') !== (own.class ?? '')) {
      aheadOther = all[j]!
      break
    }
  }
  const s = (c: CarPosition | null, isOwn = false) => (c ? status(c, own, entries, isOwn) : null)
  return {
    number: own.number,
    classPosition: String(own.classPosition),
    overallPosition: String(own.overallPosition),
    flag: session.currentFlag,
    cars: [s(aheadInClass), s(aheadOther), s(own, true), s(behindInClass)],
  }
}
