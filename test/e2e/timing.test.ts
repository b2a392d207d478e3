import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import type { TimingEngine } from '../../src/main/timing/index.ts'
import type { ReplaySource } from '../../src/main/timing/sources/rmonitor.ts'
import { capturePath } from '../helpers/shared.ts'
import { ensureWebBuild, WEB_ROOT } from '../helpers/web-build.ts'
import { launchChromium, watchProblems } from '../helpers/browser.ts'

// The timing board in a real Chromium against a real core replaying a real capture.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SHOTS = join(ROOT, 'test-results')

let core: Core
let timing: TimingEngine
let browser: Browser
let page: Page
let dataDir: string
const problems: string[] = []

beforeAll(async () => {
  ensureWebBuild() // one locked, staleness-checked build for all test files (test/helpers/web-build.ts)
  mkdirSync(SHOTS, { recursive: true })
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-e2e-timing-'))
  core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: `replay:${capturePath('redmist-TestGap.txt')}@max` }, device: { source: 'sim' } }),
    { webRoot: WEB_ROOT },
  )
  timing = core.engines.find((e) => e.name === 'timing') as TimingEngine
  await (timing.sourceObject as ReplaySource).done
  browser = await launchChromium()
  // A tall window keeps every row of the 76-car capture rendered; the 120-car test covers virtual scrolling.
  page = await browser.newPage({ viewport: { width: 1400, height: 3000 } })
  watchProblems(page, problems)
  await page.goto(core.url)
  await page.getByLabel('User').fill('admin')
  await page.getByLabel('Password').fill('test-admin-pw')
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.locator('.conn-open').waitFor()
})

afterAll(async () => {
  await browser?.close()
  await core?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const rowOrder = () => page.$$eval('.board .car', (rows) => rows.map((r) => [Number(r.getAttribute('data-index')), r.getAttribute('data-car')] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]))

describe('timing board in Chromium', () => {
  it("shows the replayed capture's cars in position order", async () => {
    await page.goto(`${core.url}/#/timing`)
    await page.locator('.board .car').first().waitFor()
    const want = [...timing.store.cars.values()].sort((a, b) => (a.overallPosition || 1e6) - (b.overallPosition || 1e6)).map((c) => c.number)
    expect(await rowOrder()).toEqual(want)
    const leader = want[0]!
    expect(await page.locator(`.board .car[data-car="${leader}"] .pos`).textContent()).toBe('1')
    await page.screenshot({ path: join(SHOTS, 'timing-board.png'), clip: { x: 0, y: 0, width: 1400, height: 900 } })
    expect(problems).toEqual([])
  })

  it('groups by class, sorts by fastest, searches', async () => {
    await page.getByRole('button', { name: 'Class', exact: true }).click()
    const sections = await page.$$eval('.board .section', (t) => t.map((x) => x.textContent ?? ''))
    const classes = new Set([...timing.store.cars.values()].map((c) => c.class))
    expect(sections.length).toBe(classes.size)
    await page.getByRole('button', { name: 'Fastest' }).click()
    await page.getByRole('button', { name: 'Overall' }).click()
    const fastest = [...timing.store.cars.values()].filter((c) => c.bestTime && c.bestTime !== '00:00:00.000').sort((a, b) => (a.bestTime < b.bestTime ? -1 : 1))[0]!
    expect((await rowOrder())[0]).toBe(fastest.number)
    await page.getByRole('button', { name: 'Position' }).click()
    const some = [...timing.store.cars.keys()][3]!
    await page.getByLabel('Search cars').fill(some)
    expect((await rowOrder()).every((n) => n!.startsWith(some))).toBe(true)
    await page.getByLabel('Search cars').fill('')
  })

  it('pins a favourite on top and remembers it across a reload', async () => {
    const last = (await rowOrder()).at(-1)!
    await page.getByRole('button', { name: `Pin car ${last}`, exact: true }).click()
    expect((await rowOrder())[0]).toBe(last)
    await page.reload()
    await page.locator('.board .car').first().waitFor()
    expect((await rowOrder())[0]).toBe(last)
    await page.getByRole('button', { name: `Unpin car ${last}`, exact: true }).first().click()
  })

  it('opens car details with the lap list and the lap-time chart', async () => {
    const leader = (await rowOrder())[0]!
    await page.locator(`.board .car[data-car="${leader}"] .num`).click()
    await page.locator('.lap-chart').waitFor()
    await page.locator('.lap-list tbody tr').first().waitFor()
    expect(await page.locator('.lap-chart rect').count()).toBe(timing.store.carLaps(leader).length)
    const laps = await page.locator('.lap-list tbody tr').count()
    expect(laps).toBe(timing.store.carLaps(leader).length)
    await page.screenshot({ path: join(SHOTS, 'timing-details.png'), clip: { x: 0, y: 0, width: 1400, height: 900 } })
    await page.locator(`.board .car[data-car="${leader}"] .num`).click()
  })

  it('control log (manual entry → penalty badge), flags tab, in-car view', async () => {
    const n = (await rowOrder())[1]!
    await page.getByRole('tab', { name: 'Control log' }).click()
    await page.getByPlaceholder('Car 1').fill(n)
    await page.getByPlaceholder('Note').fill('Contact T3')
    await page.getByPlaceholder(/Penalty/).fill('2 Laps')
    await page.getByRole('button', { name: 'Add' }).click()
    await page.locator('.log-table td', { hasText: 'Contact T3' }).waitFor()
    await page.getByRole('tab', { name: 'Flags' }).click()
    expect(await page.locator('.flags-table tbody tr').count()).toBe(timing.store.session.flagDurations.length)
    await page.getByRole('tab', { name: 'Board' }).click()
    await page.locator(`.board .car[data-car="${n}"] .badge.pen`).waitFor()
    await page.getByRole('button', { name: 'In-car view' }).click()
    await page.locator('.incar-pos').first().waitFor()
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.screenshot({ path: join(SHOTS, 'timing-incar.png') })
    await page.setViewportSize({ width: 1400, height: 3000 })
    await page.getByRole('button', { name: 'Close the in-car view' }).click()
    expect(problems).toEqual([])
  })

  it('the broadcast delay holds back every element', async () => {
    await page.getByLabel('Broadcast delay in seconds').fill('2')
    const n = (await rowOrder())[0]!
    timing.store.applyCars([{ number: n, lastLapTime: '00:09:59.999' }])
    timing.store.applySession({ timeToGo: '00:00:42' })
    await new Promise((r) => setTimeout(r, 700))
    expect(await page.locator(`.board .car[data-car="${n}"] .c-last`).textContent()).not.toBe('9:59.999')
    expect(await page.locator('.clocks').textContent()).not.toContain('00:00:42')
    await page.locator(`.board .car[data-car="${n}"] .c-last`, { hasText: '9:59.999' }).waitFor({ timeout: 5000 })
    expect(await page.locator('.clocks').textContent()).toContain('00:00:42')
    await page.getByLabel('Broadcast delay in seconds').fill('0')
    expect(problems).toEqual([])
  })

  it('an operator switches the source from the header', async () => {
    await page.getByLabel('Timing source').fill('generator:30')
    await page.getByRole('button', { name: 'Switch', exact: true }).click()
    await page.locator('.board[aria-rowcount="31"]').waitFor()
    expect(timing.source.spec).toBe('generator:30')
    expect(await page.locator('.timing-head').textContent()).toContain('generator:30')
    await page.getByLabel('Timing source').fill('rmonitor:')
    await page.getByRole('button', { name: 'Switch', exact: true }).click()
    await page.locator('.source-picker .error', { hasText: 'missing host' }).waitFor()
    expect(timing.source.spec).toBe('generator:30')
  })

  it('a 120-car field renders the rows near the viewport, in order while scrolling', async () => {
    await page.setViewportSize({ width: 1400, height: 900 })
    await timing.setSource('generator:120')
    await page.locator('.board').waitFor()
    await page.locator('.board[aria-rowcount="121"]').waitFor()
    const inDom = await page.locator('.board .car').count()
    expect(inDom).toBeGreaterThan(10)
    expect(inDom).toBeLessThan(120)
    const order = [...timing.store.cars.values()].sort((a, b) => (a.overallPosition || 1e6) - (b.overallPosition || 1e6)).map((c) => c.number)
    const top = await rowOrder()
    expect(top).toEqual(order.slice(0, top.length))
    await page.locator('.content').evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await page.locator(`.board .car[data-index="119"]`).waitFor()
    const bottom = await page.$$eval('.board .car', (rows) => rows.map((r) => [Number(r.getAttribute('data-index')), r.getAttribute('data-car')] as const).sort((a, b) => a[0] - b[0]))
    const idx = bottom.map((b) => b[0])
    expect(idx.at(-1)).toBe(119)
    expect(idx).toEqual(Array.from({ length: idx.length }, (_, i) => idx[0]! + i))
    await page.screenshot({ path: join(SHOTS, 'timing-120.png') })
    expect(problems).toEqual([])
  })
})
