import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { splitCapture } from '../../../src/main/timing/rmonitor/capture.ts'
import { RMonitorIngest } from '../../../src/main/timing/rmonitor/ingest.ts'
import { SessionBuilder } from '../../../src/main/timing/state/builder.ts'
import { TimingStore } from '../../../src/main/timing/state/store.ts'
import { capturePath, sharedDir } from '../../helpers/shared.ts'

const captures = readdirSync(`${sharedDir()}/data/rmonitor`).filter((f) => !f.startsWith('LICENSE'))

/** Replays a capture into a store the way the replay source does (batch by batch). */
export function replayIntoStore(name: string) {
  const store = new TimingStore(1)
  const ingest = new RMonitorIngest(new SessionBuilder({ eventId: 1 }), (r) => {
    if (r.reset) store.reset()
    if (r.session) store.applySession(r.session)
    store.applyCars(r.cars)
  })
  let t = Date.UTC(2025, 0, 1)
  for (const b of splitCapture(readFileSync(capturePath(name), 'utf8'))) ingest.batch(b.lines, b.atMs ?? (t += 1000))
  return { store, ingest }
}

/**
 * An independent, deliberately naive reading of a capture: the last $G (position, laps) and $H (best
 * time) of each car since the last effective reset ($I, except a lone "$I, 00:00:00, 0/0/0000" batch
 * while a flag is out, which RedMist ignores).
 */
function oracle(name: string) {
  const unq = (s: string) => s.trim().replace(/^"|"$/g, '')
  let flagKnown = false
  let last = new Map<string, { position: number; laps: number; best?: string }>()
  let numberOf = new Map<string, string>()
  for (const b of splitCapture(readFileSync(capturePath(name), 'utf8'))) {
    const recs = b.lines.filter((l) => l.startsWith('$')).map((l) => l.split(',').map(unq))
    const lone = recs.length === 1 && recs[0]![0] === '$I' && recs[0]![1] === '00:00:00' && recs[0]![2] === '0/0/0000' && flagKnown
    for (const f of recs) {
      const car = (reg: string) => {
        const n = numberOf.get(reg) ?? reg
        let c = last.get(n)
        if (!c) last.set(n, (c = { position: 0, laps: 0 }))
        return c
      }
      if (f[0] === '$I' && !lone) {
        last = new Map()
        numberOf = new Map()
      } else if (f[0] === '$F' && f.length >= 6) flagKnown = ['green', 'yellow', 'red', 'white', 'finish', 'black', 'purple', 'purple60'].includes(f[5]!.toLowerCase())
      else if ((f[0] === '$A' || f[0] === '$COMP') && f.length >= 8) {
        numberOf.set(f[1]!, f[2]!)
        car(f[1]!)
      } else if (f[0] === '$G' && f.length >= 5) Object.assign(car(f[2]!), { position: Number(f[1]), laps: Number(f[3] || 0) })
      else if (f[0] === '$H' && f.length >= 5) car(f[2]!).best = f[4]
      else if ((f[0] === '$J' || f[0] === '$L') && f.length >= 4) car(f[1]!)
    }
  }
  return last
}

describe('replaying every capture', () => {
  it('finds the captures', () => expect(captures.length).toBeGreaterThanOrEqual(12))

  for (const name of captures) {
    it(`${name}: each car's position, laps and best time equal the capture's last records`, () => {
      const { store, ingest } = replayIntoStore(name)
      const want = oracle(name)
      expect(ingest.stats.received).toBeGreaterThan(0)
      expect([...store.cars.keys()].sort()).toEqual([...want.keys()].sort())
      for (const [n, w] of want) {
        const car = store.cars.get(n)!
        expect({ n, position: car.overallPosition, laps: car.lastLapCompleted }).toEqual({ n, position: w.position, laps: w.laps })
        if (w.best !== undefined) expect({ n, best: car.bestTime }).toEqual({ n, best: w.best })
      }
      // The store's state is the builder's state: nothing lost between the patches and the store.
      for (const [n, car] of ingest.builder.cars) expect(store.cars.get(n)).toEqual(car)
    })
  }
})
