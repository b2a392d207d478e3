import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../src/main/log/index.ts'
import { Backplane, BackplaneError } from '../../../src/main/scale/backplane.ts'
import { RedisServer, waitFor } from '../../helpers/redis.ts'

const redis = new RedisServer()
const planes: Backplane[] = []
const make = async (id: string, owns: string[] = []) => {
  const b = new Backplane(redis.url, { instanceId: id, log: silentLogger(), info: () => ({ name: id, owns }) })
  planes.push(b)
  await b.start()
  return b
}

beforeAll(() => redis.start())
afterAll(async () => {
  for (const b of planes) await b.stop()
  await redis.kill()
})

describe('Redis backplane', () => {
  it('delivers to other instances, never back to the sender', async () => {
    const a = await make('a', ['device'])
    const b = await make('b')
    const c = await make('c')
    await waitFor(() => a.up && b.up && c.up, 10_000, 'connected')
    const got: Record<string, string[]> = { a: [], b: [], c: [] }
    for (const [id, p] of [['a', a], ['b', b], ['c', c]] as const) p.subscribe('topic.x', (d, from) => got[id]!.push(`${from}:${d}`))
    await new Promise((r) => setTimeout(r, 100)) // SUBSCRIBE round trip
    expect(a.publish('topic.x', 'hello')).toBe(true)
    await waitFor(() => got.b!.length === 1 && got.c!.length === 1, 5000, 'delivery')
    expect(got).toEqual({ a: [], b: ['a:hello'], c: ['a:hello'] })
  })

  it('routes a request to one instance and returns its answer or its error', async () => {
    const [a, b] = planes
    a!.handle('camera.set', (payload) => {
      const p = payload as { key: string }
      if (p.key === 'bad') throw new Error('Invalid value')
      return { ok: p.key }
    })
    expect(await b!.request('a', 'camera.set', { key: 'brightness' })).toEqual({ ok: 'brightness' })
    await expect(b!.request('a', 'camera.set', { key: 'bad' })).rejects.toThrow('Invalid value')
    await expect(b!.request('zz', 'camera.set', {}, 300)).rejects.toBeInstanceOf(BackplaneError)
  })

  it('knows the live instances and the owner of a resource', async () => {
    const [, b] = planes
    await waitFor(async () => (await b!.instances()).length === 3, 5000, 'heartbeats')
    expect((await b!.ownerOf('device'))?.id).toBe('a')
  })

  it('survives Redis dying: fails fast while down, resumes delivery when it is back', async () => {
    const [a, b] = planes
    const got: string[] = []
    b!.subscribe('after', (d) => got.push(String(d)))
    const port = redis.port
    await redis.kill()
    await waitFor(() => a!.state === 'down' && b!.state === 'down', 10_000, 'down')
    expect(a!.publish('after', 'lost')).toBe(false)
    await expect(a!.request('b', 'x', {})).rejects.toThrow('backplane is down')
    await redis.start(port)
    await waitFor(() => a!.up && b!.up, 15_000, 'reconnected')
    await new Promise((r) => setTimeout(r, 200)) // resubscribe after reconnect
    a!.publish('after', 'kept')
    await waitFor(() => got.length === 1, 5000, 'delivery after restart')
    expect(got).toEqual(['kept'])
  })
})
