import { describe, expect, it } from 'vitest'
import { rtc, sleep, startCore } from './helpers.ts'

describe('offline direct messages', () => {
  it('are stored, survive a restart, and are delivered in order when the user connects', async () => {
    const t1 = await startCore()
    const alice = await t1.token('alice')
    await t1.token('carol')
    const { c: a } = await rtc(t1, alice)
    for (let i = 1; i <= 3; i++) {
      const r = await a.request({ type: 'DirectMessage', data: { target_user: 'carol', payload: { message: `m${i}` } }, id: `dm${i}` })
      expect(r.data).toMatchObject({ code: 404, details: { queued: true, message_id: `dm${i}` } })
    }
    await a.close()
    await t1.stop(true) // keep the data dir

    const t2 = await startCore({ dataDir: t1.dataDir })
    const carol = await t2.token('carol')
    const { c } = await rtc(t2, carol)
    const got = [await c.next('DirectMessage'), await c.next('DirectMessage'), await c.next('DirectMessage')]
    expect(got.map((m) => m.data.payload.message)).toEqual(['m1', 'm2', 'm3'])
    expect(got[0]!.data).toMatchObject({ from_user: 'alice', metadata: { queued: true } })
    await c.close()
    // Delivered once: a second connection gets nothing more.
    const { c: again } = await rtc(t2, carol)
    await sleep(100)
    expect(again.drain('DirectMessage')).toHaveLength(0)
    await again.close()
    await t2.stop()
  })

  it('are bounded per user (a full queue refuses with 503) and expire after their ttl', async () => {
    const t = await startCore({ messaging: { dmQueueSize: 2 } })
    const { c: a } = await rtc(t, await t.token('alice'))
    await t.token('dan')
    expect((await a.request({ type: 'DirectMessage', data: { target_user: 'dan', payload: 'short' }, metadata: { ttl: 1 }, id: '1' })).data.details.queued).toBe(true)
    expect((await a.request({ type: 'DirectMessage', data: { target_user: 'dan', payload: 'kept' }, id: '2' })).data.details.queued).toBe(true)
    const full = await a.request({ type: 'DirectMessage', data: { target_user: 'dan', payload: 'third' }, id: '3' })
    expect(full.data).toMatchObject({ code: 503, details: { queued: false, reason: 'queue_full', message_id: '3' } })
    await sleep(1100)
    const { c: d } = await rtc(t, await t.token('dan'))
    expect((await d.next('DirectMessage')).data.payload).toBe('kept')
    await sleep(100)
    expect(d.drain('DirectMessage')).toHaveLength(0)
    await Promise.all([a.close(), d.close()])
    await t.stop()
  })
})

describe('shutdown with connections open (found by the long fuzz run)', () => {
  it('the engine forgets every connection when it stops (the UI API messaging.live person too), recording presence while the store is open', async () => {
    const t1 = await startCore()
    const dave = await t1.token('dave')
    // The Messages page of a logged-in browser: a messaging.live subscription makes 'dave' a person on the hub.
    const { WebSocket } = await import('ws')
    const ui = new WebSocket(`${t1.ws}/ui?token=${dave}`)
    await new Promise((r) => ui.once('message', r))
    ui.send(JSON.stringify({ t: 'sub', id: 1, topic: 'messaging.live', params: {} }))
    await waitFor(() => t1.messaging.hub.presence.isOnline('dave'))
    // Before the fix the person was forgotten only when the /ui socket closed — after the core had closed
    // the store: its presence write threw "database is not open" as an uncaught exception.
    await t1.messaging.stop()
    expect(t1.messaging.hub.connectionCount).toBe(0)
    expect(t1.messaging.hub.presence.get('dave')).toMatchObject({ status: 'offline', last_seen: expect.any(Number) })
    await t1.stop()
    ui.terminate()
  })
})

async function waitFor(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !fn(); i++) await sleep(10)
  expect(fn()).toBe(true)
}
