import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MessagingLiveEvent } from '../../../src/shared/ui-api/index.ts'
import { rtc, startCore, type TestCore } from './helpers.ts'

let t: TestCore
beforeAll(async () => {
  t = await startCore()
})
afterAll(() => t.stop())

describe('messaging UI API', () => {
  it('the Messages page counts as the user’s connection: queued DMs are replayed to it, new ones delivered, presence online', async () => {
    const { c: a } = await rtc(t, await t.token('alice'))
    await t.token('pia')
    const q = await a.request({ type: 'DirectMessage', data: { target_user: 'pia', payload: { message: 'while you were away' } }, id: 'q' })
    expect(q.data.details.queued).toBe(true)
    const events: MessagingLiveEvent[] = []
    const ctx = { principal: { username: 'pia', role: 'operator' as const }, transport: 'ws' as const }
    const off = t.core.ctx.ui.subscribe('messaging.live', {}, ctx, (e) => events.push(e as MessagingLiveEvent))
    expect(events.find((e) => e.kind === 'direct')).toMatchObject({ direct: { from: 'alice', to: 'pia', payload: { message: 'while you were away' } } })
    expect(t.messaging.hub.presence.isOnline('pia')).toBe(true)
    const live = await a.request({ type: 'DirectMessage', data: { target_user: 'pia', payload: { message: 'now' } }, id: 'l' })
    expect(live).toMatchObject({ type: 'Ack', data: { status: 'delivered' } })
    expect(events.filter((e) => e.kind === 'direct')).toHaveLength(2)
    const sent = (await t.core.ctx.ui.call('messaging.direct', { user: 'alice', message: { text: 'thanks' } }, ctx)) as { status: string }
    expect(sent.status).toBe('delivered')
    expect((await a.next('DirectMessage')).data).toMatchObject({ from_user: 'pia', payload: { message: 'thanks' } })
    const overview = (await t.core.ctx.ui.call('messaging.overview', {}, ctx)) as { me: string; rooms: Array<{ name: string }> }
    expect(overview.me).toBe('pia')
    expect(overview.rooms.map((r) => r.name)).toContain('general')
    await expect(t.core.ctx.ui.call('messaging.publish', { topic: 'timing.flags', message: { text: 'x' } }, ctx)).rejects.toMatchObject({ code: 'forbidden' })
    await expect(t.core.ctx.ui.call('messaging.publish', { topic: 'a.*', message: { text: 'x' } }, ctx)).rejects.toMatchObject({ code: 'invalid_params' })
    off()
    expect(t.messaging.hub.presence.isOnline('pia')).toBe(false)
    // Anonymous readers see no direct messages.
    expect(await t.core.ctx.ui.call('messaging.directs', {}, { principal: { username: null, role: 'guest' }, transport: 'ws' })).toEqual([])
    await a.close()
  })
})
