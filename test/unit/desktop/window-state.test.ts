import { describe, expect, it } from 'vitest'
import { MIN_SIZE, parseWindowState, restoreBounds } from '../../../src/main/desktop/window-state.ts'

const screen = { x: 0, y: 0, width: 1920, height: 1040 }
const second = { x: 1920, y: 0, width: 1280, height: 1024 }

describe('window bounds', () => {
  it('restores saved bounds that are on a screen', () => {
    const s = parseWindowState({ bounds: { x: 100, y: 50, width: 1200, height: 800 }, maximized: false })
    expect(restoreBounds(s, [screen])).toEqual({ x: 100, y: 50, width: 1200, height: 800 })
    expect(restoreBounds(parseWindowState({ bounds: { x: 2000, y: 10, width: 1000, height: 700 } }), [screen, second])).toEqual({ x: 2000, y: 10, width: 1000, height: 700 })
  })

  it('forgets bounds on a screen that is gone (the window opens centred at the default size)', () => {
    expect(restoreBounds(parseWindowState({ bounds: { x: 2000, y: 10, width: 1000, height: 700 } }), [screen])).toBeUndefined()
    expect(restoreBounds(parseWindowState({ bounds: { x: 100, y: -600, width: 1000, height: 700 } }), [screen])).toBeUndefined()
  })

  it('clamps a window larger than its screen and keeps the minimum size', () => {
    expect(restoreBounds(parseWindowState({ bounds: { x: 0, y: 0, width: 4000, height: 3000 } }), [screen])).toEqual({ x: 0, y: 0, width: 1920, height: 1040 })
    expect(restoreBounds(parseWindowState({ bounds: { x: 10, y: 10, width: 100, height: 50 } }), [screen])).toEqual({ x: 10, y: 10, ...MIN_SIZE })
  })

  it.each([null, 'x', {}, { bounds: { x: 'a', y: 0, width: 1, height: 1 } }, { bounds: { x: NaN, y: 0, width: 1, height: 1 } }])('ignores a malformed saved state %#', (v) => {
    expect(parseWindowState(v)).toBeUndefined()
  })
})
