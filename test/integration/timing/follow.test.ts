// Two Pitwall instances: A replays a real capture and serves it as RedMist; B follows A as if A were
// RedMist. B must end with A's state, also when A restarts mid-race.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
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
      // B recorded what it followed, and the recording replays to the same state.
      await b.timing.setSource('none')
      await new Promise((r) => setTimeout(r, 200))
      const recs = await b.timing.recorder.list()
      expect(recs.length).toBe(1)
      expect(recs[0]!.file).toMatch(/redmist\.jsonl$/)
      const c = await startCore({ source: `replay:${recs[0]!.file}@max`, record: false })
      cores.push(c)
      await (c.timing.sourceObject as ReplaySource).done
      expect(comparable(c.timing.store.snapshot())).toEqual(comparable(a.timing.store.snapshot()))
    }, 30_000)
  }

  it('gets a bearer token by client credentials when A does not allow anonymous reads', async () => {
    const a = await startCore({ source: `replay:${CAPTURE}@max`, record: false }, { config: { anonymousRead: false } })
    cores.push(a)
    await (a.timing.sourceObject as ReplaySource).done
    let asked = 0
    const tokens = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', async () => {
        const form = new URLSearchParams(body)
        asked++
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== 'pitwall' || form.get('client_secret') !== 'shh') {
          res.writeHead(401).end('{}')
          return
        }
        const { token } = await a.core.ctx.auth.login('admin', 'test-admin-pw', '127.0.0.1')
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, expires_in: 300 }))
      })
    })
    await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r))
    try {
      const tokenUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`
      const b = await startCore({ source: `redmist:${a.core.url}#1`, redmist: { protocol: 'json', tokenUrl, clientId: 'pitwall', clientSecret: 'shh' }, record: false })
      cores.push(b)
      await until(() => JSON.stringify(comparable(b.timing.store.snapshot())) === JSON.stringify(comparable(a.timing.store.snapshot())), 10_000, 'B to converge with a token')
      expect(asked).toBe(1)
      // Without credentials the hub refuses.
      const c = await startCore({ source: `redmist:${a.core.url}#1`, redmist: { protocol: 'json' }, record: false })
      cores.push(c)
      await until(() => c.timing.source.state === 'error', 5000, 'anonymous follower to fail')
      expect(c.timing.store.cars.size).toBe(0)
    } finally {
      tokens.close()
    }
  }, 30_000)

  it('follows a private event with its access code (and not without)', async () => {
    const a = await startCore({ source: `replay:${CAPTURE}@max`, record: false, accessCode: 'pit-lane' })
    cores.push(a)
    await (a.timing.sourceObject as ReplaySource).done
    const b = await startCore({ source: `redmist:${a.core.url}#1`, redmist: { protocol: 'messagepack', accessCode: 'pit-lane' }, record: false })
    cores.push(b)
    await until(() => JSON.stringify(comparable(b.timing.store.snapshot())) === JSON.stringify(comparable(a.timing.store.snapshot())), 10_000, 'B to converge with the code')
    const c = await startCore({ source: `redmist:${a.core.url}#1`, redmist: { protocol: 'messagepack', accessCode: 'wrong' }, record: false })
    cores.push(c)
    await until(() => c.timing.source.state === 'error', 5000, 'a wrong code to fail')
    expect(c.timing.source.detail).toContain('Access code required')
    expect(c.timing.store.cars.size).toBe(0)
  }, 30_000)

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
