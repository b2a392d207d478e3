import { describe, expect, it, vi } from 'vitest'
import { LOCAL_ADMIN } from '../../../src/shared/auth.ts'
import { applyCameraEvent, applyTimingEvent, flagColour, followFeeds } from '../../../src/main/desktop/feeds.ts'
import { trayStateFrom } from '../../../src/main/desktop/tray-state.ts'

const ctx = { principal: LOCAL_ADMIN, transport: 'ipc' as const }

describe('live facts for the tray', () => {
  it('maps RedMist flags (numbers) and names to tray colours', () => {
    expect([0, 1, 2, 3, 4, 5, 7, 99].map(flagColour)).toEqual(['none', 'green', 'yellow', 'red', 'white', 'checkered', 'yellow', undefined])
    expect(flagColour('Checkered')).toBe('checkered')
    expect(flagColour(null)).toBeUndefined()
  })

  it('follows the flag through full states, patches (null = unchanged) and resets', () => {
    let f = applyTimingEvent({}, { t: 'full', state: { currentFlag: 1 }, source: {} })
    expect(f.flag).toBe('green')
    f = applyTimingEvent(f, { t: 'session', patch: { currentFlag: null, lapsToGo: 3 } })
    expect(f.flag).toBe('green')
    f = applyTimingEvent(f, { t: 'session', patch: { currentFlag: 2 } })
    expect(f.flag).toBe('yellow')
    expect(applyTimingEvent(f, { t: 'cars', patches: [] })).toBe(f)
    expect(applyTimingEvent(f, { t: 'reset' }).flag).toBe('none')
    expect(applyTimingEvent(f, 'garbage')).toBe(f)
  })

  it('follows the camera link and recording state', () => {
    let f = applyCameraEvent({}, { type: 'snapshot', snapshot: { state: { record: 'off', iso: 800 }, link: { state: 'connected', detail: 'sim' } } })
    expect(f).toEqual({ deviceLink: 'connected', deviceDetail: 'sim', recording: false })
    f = applyCameraEvent(f, { type: 'change', changes: { record: 'on' } })
    expect(f.recording).toBe(true)
    f = applyCameraEvent(f, { type: 'change', changes: { iso: 1600 } })
    expect(f.recording).toBe(true)
    f = applyCameraEvent(f, { type: 'link', link: { state: 'disconnected', detail: 'unplugged' } })
    expect(f).toMatchObject({ deviceLink: 'disconnected', deviceDetail: 'unplugged' })
    expect(trayStateFrom(null, f)).toMatchObject({ device: 'disconnected', deviceDetail: 'unplugged', recording: true })
    expect(applyCameraEvent(f, { type: 'link', link: { state: 'weird' } })).toBe(f)
  })

  it('subscribes by name, survives a missing section, and records through camera.set', async () => {
    const emitters: Record<string, (e: unknown) => void> = {}
    const router = {
      subscribe: vi.fn((topic: string, _p: unknown, _c: unknown, emit: (e: unknown) => void) => {
        if (topic === 'timing.live') throw new Error('Unknown topic timing.live')
        emitters[topic] = emit
        return () => delete emitters[topic]
      }),
      call: vi.fn(async () => ({ applied: { record: 'on' }, errors: [] })),
    }
    const changes: unknown[] = []
    const feeds = followFeeds(router, ctx, (f) => changes.push(f))
    emitters.camera!({ type: 'snapshot', snapshot: { state: { record: 'off' }, link: { state: 'connected', detail: '' } } })
    expect(feeds.facts()).toEqual({ deviceLink: 'connected', recording: false })
    expect(changes).toHaveLength(1)
    await feeds.setRecording!(true)
    expect(router.call).toHaveBeenCalledWith('camera.set', { changes: { record: 'on' } }, ctx)
    feeds.stop()
    expect(emitters.camera).toBeUndefined()
    // Without a camera section there is no recording action.
    const none = followFeeds({ subscribe: () => { throw new Error('no') }, call: vi.fn() }, ctx, () => undefined)
    expect(none.setRecording).toBeUndefined()
  })

  it('a listener that throws is reported, and the section still counts as there', () => {
    let emit: ((e: unknown) => void) | undefined
    const router = {
      subscribe: (_t: string, _p: unknown, _c: unknown, fn: (e: unknown) => void) => {
        emit = fn
        fn({ type: 'snapshot', snapshot: { state: { record: 'on' }, link: { state: 'connected' } } }) // first value while subscribing
        return () => undefined
      },
      call: vi.fn(),
    }
    const errors: unknown[] = []
    const feeds = followFeeds(router, ctx, () => {
      throw new Error('boom')
    }, (e) => errors.push(e))
    expect(feeds.setRecording).toBeDefined()
    expect(errors.length).toBeGreaterThanOrEqual(1)
    emit!({ type: 'change', changes: { record: 'off' } })
    expect(feeds.facts().recording).toBe(false)
  })
})
