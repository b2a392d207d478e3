import { describe, expect, it } from 'vitest'
import { deepLinkFromArgv, parseDeepLink } from '../../../src/main/desktop/deeplink.ts'
import { parseHash } from '../../../src/renderer/src/route-parse.ts'

describe('pitwall:// deep links', () => {
  it.each([
    ['pitwall://event/12', '#/timing?event=12'],
    ['pitwall://event/12/car/7', '#/timing?event=12&car=7'],
    ['pitwall://car/7A', '#/timing?car=7A'],
    ['PITWALL://Event/3/', '#/timing?event=3'],
    ['pitwall://messages', '#/messages'],
    ['pitwall://Settings', '#/settings'],
    ['pitwall://', null],
    ['pitwall://open', null],
  ])('%s → %s', (link, hash) => {
    expect(parseDeepLink(link)).toEqual({ ok: true, hash })
  })

  it('the hash it gives is the route the renderer reads', () => {
    const r = parseDeepLink('pitwall://event/12/car/7')
    if (!r.ok || !r.hash) throw new Error('no hash')
    const route = parseHash(r.hash)
    expect(route.page).toBe('timing')
    expect(Object.fromEntries(route.query)).toEqual({ event: '12', car: '7' })
  })

  it.each([
    ['https://event/12', /not a pitwall/],
    ['not a url', /not a URL/],
    ['pitwall://event', /missing value/],
    ['pitwall://event/abc', /unsupported/],
    ['pitwall://car/<script>', /unsupported/],
    ['pitwall://car/123456789', /unsupported/],
    ['pitwall://event/1/event/2', /unsupported/],
    ['pitwall://delete/everything', /unsupported/],
    [`pitwall://car/${'1'.repeat(600)}`, /too long/],
  ])('refuses %s', (link, reason) => {
    const r = parseDeepLink(link)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(reason)
  })

  it('finds the link among a second instance’s arguments', () => {
    expect(deepLinkFromArgv(['/opt/Pitwall/pitwall', '--flag', 'pitwall://car/9'])).toBe('pitwall://car/9')
    expect(deepLinkFromArgv(['/opt/Pitwall/pitwall'])).toBeUndefined()
  })
})
