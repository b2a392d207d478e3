import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBinary } from '../../../src/main/messaging/index.ts'
import { RedisServer, waitFor } from '../../helpers/redis.ts'
import { rtc, startCore, type TestCore } from './helpers.ts'

// Two Pitwall instances on one real redis-server: the bus reaches across them.

const redis = new RedisServer()
let a: TestCore
let b: TestCore

beforeAll(async () => {
  await redis.start()
  const common = { redis: redis.url, tokenSecret: 'shared-secret-for-the-two-test-instances' }
  a = await startCore(common)
  b = await startCore(common)
  await waitFor(() => a.core.ctx.backplane!.up && b.core.ctx.backplane!.up, 10_000, 'backplanes up')
})
afterAll(async () => {
  await a?.stop()
  await b?.stop()
  await redis.kill()
})

describe('messaging over the Redis backplane', () => {
  it('a publication on one instance reaches subscribers on the other, in order, binary included', async () => {
    expect(a.messaging.status().detail).toContain('backplane redis')
    const { c: sub } = await rtc(b, await b.token('bob'))
    await sub.request({ type: 'Subscribe', data: { topics: ['across.#'] }, id: 's' })
    const { c: pub } = await rtc(a, await a.token('alice'))
    for (let i = 0; i < 20; i++) pub.send({ type: 'Broadcast', data: { topic: 'across.chat', payload: i } })
    const got: number[] = []
    while (got.length < 20) {
      const m = await sub.next('Broadcast', 5000)
      expect(m.data.metadata.from_user).toBe('alice')
      got.push(m.data.payload)
    }
    expect(got).toEqual([...Array(20).keys()])
    const frame = buildBinary(0x01, 'across.bin', Buffer.from('bytes'))
    pub.send(frame)
    expect(Buffer.compare(await sub.nextBinary(5000), frame)).toBe(0)
    await Promise.all([pub.close(), sub.close()])
  })
})
