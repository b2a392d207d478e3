import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rtc, startCore, type TestCore } from './helpers.ts'

let t: TestCore
beforeAll(async () => {
  t = await startCore()
})
afterAll(() => t.stop())

describe("Pitwall's own events on the bus", () => {
  it('republishes timing and camera events as timing.* and device.camera topics, with history', async () => {
    const { c } = await rtc(t) // anonymous read is enough to follow them
    await c.request({ type: 'Subscribe', data: { topics: ['timing.#', 'device.*'] }, id: 's' })
    // Payloads are opaque to messaging: loose shapes on purpose (a V1-style car, a car without a number).
    const ev = t.core.ctx.events
    const emit = ev.emit.bind(ev) as (name: string, ...args: unknown[]) => boolean
    emit('timing.session', { eventId: 1, sessionName: 'Race' })
    emit('timing.flags', [{ flag: 2, startTime: '2026-11-21T20:00:00Z' }], 2)
    emit('timing.car', [{ number: '42', lastLapTime: '00:01:32.456' }, { number: '99x', overallPosition: 3 }])
    emit('timing.car', { n: '7', p: '1' })
    emit('timing.car', [{ nothing: 'to route' }])
    emit('timing.controllog', { carNumber: '', controlLogEntries: [{ note: 'Car 42 drive-through' }] })
    emit('camera.change', { zoom: 12 })
    emit('device.link', { state: 'disconnected', detail: 'unplugged' })
    emit('timing.reset')
    const got: Array<[string, unknown]> = []
    for (let i = 0; i < 9; i++) {
      const b = await c.next('Broadcast')
      got.push([b.data.topic, b.data.payload])
      expect(b.data.metadata.from_user).toBeNull()
    }
    expect(got).toEqual([
      ['timing.session', { eventId: 1, sessionName: 'Race' }],
      ['timing.flags', { flagDurations: [{ flag: 2, startTime: '2026-11-21T20:00:00Z' }], currentFlag: 2 }],
      ['timing.car.42', { number: '42', lastLapTime: '00:01:32.456' }],
      ['timing.car.99x', { number: '99x', overallPosition: 3 }],
      ['timing.car.7', { n: '7', p: '1' }],
      ['timing.controllog', { carNumber: '', controlLogEntries: [{ note: 'Car 42 drive-through' }] }],
      ['device.camera', { zoom: 12 }],
      ['device.link', { state: 'disconnected', detail: 'unplugged' }],
      ['timing.reset', {}],
    ])
    const h = await c.request({ type: 'History', data: { topic: 'timing.car.42' }, id: 'h' })
    expect(h.data.publications).toHaveLength(1)
    await c.close()
  })

  it('emits messaging.direct for every direct message, and a desktop notify for those to the desktop user (local)', async () => {
    const seen: unknown[] = []
    const notes: unknown[] = []
    t.core.ctx.events.on('messaging.direct', (d) => seen.push(d))
    t.core.ctx.events.on('notify', (n) => notes.push(n))
    const { c } = await rtc(t, await t.token('alice'))
    await t.token('bob')
    await c.request({ type: 'DirectMessage', data: { target_user: 'bob', payload: { message: 'box now' } }, id: 'd' })
    expect(seen).toEqual([expect.objectContaining({ from: 'alice', to: 'bob', text: 'box now', status: 'queued' })])
    expect(notes).toEqual([])
    const toDesk = await c.request({ type: 'DirectMessage', data: { target_user: 'local', payload: { message: 'look at the screen' } }, id: 'l' })
    expect(toDesk.data).toMatchObject({ code: 404, details: { queued: true } }) // the desktop's Messages page is not open
    expect(notes).toEqual([{ kind: 'dm', title: 'Message from alice', body: 'look at the screen' }])
    await c.close()
  })
})
