import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureWebBuild } from '../helpers/web-build.ts'
import { type CameraEngine, SimController } from '../../src/main/camera/index.ts'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { V1Client, wsUrl } from '../helpers/v1-client.ts'
import { launchChromium, watchProblems } from '../helpers/browser.ts'

// The Device page in a real Chromium against a real core and a real v1 client: a control for every
// key, live updates from LAN clients and the device, writes from the page, disabled-with-reason.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WEB_ROOT = join(ROOT, 'out/renderer')
const SHOTS = join(ROOT, 'test-results')

let core: Core
let browser: Browser
let page: Page
let dataDir: string
let lan: V1Client
const problems: string[] = []
const sim = () => (core.engines.find((e) => e.name === 'camera') as CameraEngine).model.controller as SimController

beforeAll(async () => {
  ensureWebBuild()
  mkdirSync(SHOTS, { recursive: true })
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-e2e-device-'))
  core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }),
    { webRoot: WEB_ROOT },
  )
  // This page test drives the camera room's SimController (its fine-grained hooks); the device
  // room's part of the page (the PCP emulator's link and traffic) is test/e2e/device-page.test.ts.
  await (core.engines.find((e) => e.name === 'camera') as CameraEngine).model.replaceController(new SimController())
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  watchProblems(page, problems)
  lan = await V1Client.open(wsUrl(core.url))
  await lan.login('admin', 'test-admin-pw')
})

afterAll(async () => {
  lan?.close()
  await browser?.close()
  await core?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('Device page in Chromium', () => {
  it('anonymous: every key is shown, live, and every control is disabled with the reason', async () => {
    await page.goto(core.url)
    await page.getByRole('button', { name: 'Look without logging in' }).click()
    await page.goto(`${core.url}/#/device`)
    await page.locator('.camera-row').first().waitFor()
    expect(await page.locator('.camera-row[data-key]').count()).toBe(23)
    expect(await page.locator('#cam-brightness').isDisabled()).toBe(true)
    expect(await page.locator('.camera-row[data-key="brightness"] .reason').textContent()).toBe('Log in to change camera settings')
    expect(await page.locator('.camera-row[data-key="cam1-exists"] .reason').textContent()).toBe('Read-only: reported by the device')
    // a LAN client's change shows up
    lan.send({ brightness: 81 })
    await page.locator('.camera-row[data-key="brightness"] output', { hasText: '81' }).waitFor()
    expect(problems).toEqual([])
  })

  it('admin: writes from the page reach LAN clients; device changes reach the page', async () => {
    await page.goto(core.url)
    await page.getByLabel('User').fill('admin')
    await page.getByLabel('Password').fill('test-admin-pw')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.locator('.conn-open').waitFor()
    await page.goto(`${core.url}/#/device`)
    await page.locator('#cam-cam1-light').waitFor()
    expect(await page.locator('#cam-brightness').isDisabled()).toBe(false)
    lan.messages.length = 0
    await page.locator('#cam-cam1-light').click()
    expect(await lan.next((m) => 'cam1-light' in m)).toEqual({ 'cam1-light': true })
    await page.getByRole('button', { name: 'Record' }).click()
    expect(await lan.next((m) => 'record' in m)).toEqual({ record: 'on' })
    await page.getByRole('button', { name: 'Pause' }).click()
    expect(await lan.next((m) => 'record' in m)).toEqual({ record: 'pause' })
    await page.locator('.record-pause').waitFor()
    await page.locator('#cam-resolution').selectOption('1280x720')
    expect(await lan.next((m) => 'resolution' in m)).toEqual({ resolution: '1280x720' })
    // the device unplugs head 2: the page follows and explains
    sim().detachHead2()
    await page.locator('.camera-row[data-key="cam2-light"] .reason', { hasText: 'Camera 2 is not attached' }).waitFor()
    expect(await page.locator('#cam-cam2-exists').textContent()).toBe('no')
    sim().attachHead2()
    await page.locator('#cam-cam2-exists', { hasText: 'yes' }).waitFor()
    // a refusal by the device shows next to the control
    sim().refusals.set('gain', 'Gain is locked on the panel')
    await page.locator('#cam-gain').focus()
    await page.keyboard.press('ArrowRight')
    await page.locator('.camera-row[data-key="gain"] .error', { hasText: 'Gain is locked on the panel' }).waitFor()
    await page.screenshot({ path: join(SHOTS, 'ui-device.png'), fullPage: true })
    expect(problems).toEqual([])
  })
})
