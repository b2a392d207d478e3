// Two Pitwall instances: A replays a real capture and serves it as RedMist; B follows A as if A were
// RedMist. B must end with A's state, also when A restarts mid-race.
import { afterEach, describe, expect, it } from 'vitest'
import { capturePath } from '../../helpers/shared.ts'
import { comparable, startCore, type TestCore, until } from './helpers.ts'
import { ReplaySource } from '../../../src/main/timing/sources/rmonitor.ts'
import type { RedMistSource } from '../../../src/main/timing/sources/redmist.ts'

const CAPTURE = capturePath('redmist-TestResetRetainLapTime.txt')
let cores: TestCore[] = []
afterEach(async () => {
  await Promise.all(cores.map((c) => c.stop()))
  cores = []
})

describe('B follows A over the RedMist hub', () => {
  for (const protocol of ['messagepack', 'json'] as const) {
    it(`ends with A's state from the V2 patches alone (${protocol})`, async () => {
      const a = await startCore({ source: `replay:${CAPTURE}@30`, record: false })
      cores.push(a)
      const b = await startCore({ source: `redmist:${a.core.url}/status/event-status#1`, redmist: { protocol, resyncMs: 600_000 }, record: true })
      cores.push(b)
      await (a.timing.sourceObject as ReplaySource).done
      expect(a.timing.store.cars.size).toBeGreaterThan(20)
      await until(() => JSON.stringify(comparable(b.timing.store.snapshot())) === JSON.stringify(comparable(a.timing.store.snapshot())), 10_000, 'B to converge on A')
      expect(comparable(b.timing.store.snapshot())).toEqual(comparable(a.timing.store.snapshot()))
      expect(b.timing.source.state).toBe('live')
      // REST was fetched only on subscribe and on the capture's reset (ReceiveReset): the rest of the
      // race reached B as ReceiveSessionPatch/ReceiveCarPatches.
      const client = (b.timing.sourceObject as RedMistSource).client
      expect(client.resyncs).toBeLessThanOrEqual(3)
      expect(client.messages).toBeGreaterThan(20)
      // B recorded what it followed.
      const recs = await b.timing.recorder.list()
      expect(recs.length).toBe(1)
      expect(recs[0]!.bytes).toBeGreaterThan(1000)
    }, 30_000)
  }

  it('recovers when A restarts mid-race: no stale or duplicated cars', async () => {
    let a = await startCore({ source: `replay:${CAPTURE}@30`, record: false })
    const port = Number(new URL(a.core.url).port)
    const b = await startCore({ source: `redmist:${a.core.url}#1`, redmist: { protocol: 'messagepack' }, record: false })
    cores.push(b)
    await until(() => b.timing.store.cars.size > 10, 10_000, 'B to see cars')
    await a.stop()
    // A comes back on the same port with another race (a different capture): B must drop the old cars.
    a = await startCore({ source: `replay:${capturePath('redmist-TestGap.txt')}@max`, record: false }, { port })
    cores.push(a)
    await (a.timing.sourceObject as ReplaySource).done
    await until(() => JSON.stringify(comparable(b.timing.store.snapshot())) === JSON.stringify(comparable(a.timing.store.snapshot())), 20_000, 'B to recover')
    const numbers = b.timing.store.snapshot().carPositions.map((c) => c.number)
    expect(new Set(numbers).size).toBe(numbers.length)
    expect(numbers.sort()).toEqual([...a.timing.store.cars.keys()].sort())
  }, 40_000)
})
