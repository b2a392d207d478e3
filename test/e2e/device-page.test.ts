import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureWebBuild } from '../helpers/web-build.ts'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { ViscaEmulator } from '../../src/main/device/emulators/visca-emulator.ts'
import { SerialTransport } from '../../src/main/device/transport/serial.ts'
import { PtyPair } from '../integration/device/helpers.ts'
import { launchChromium, watchProblems } from '../helpers/browser.ts'

// The Device page in a real Chromium against a real core: link state, the emulator's buttons and
// faults, the decoded traffic log, switching the driver to a VISCA camera on a socat PTY and its extras.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WEB_ROOT = join(ROOT, 'out/renderer')
const SHOTS = join(ROOT, 'test-results')

let core: Core
let browser: Browser
let page: Page
let dataDir: string
let pty: PtyPair
let cam: ViscaEmulator
let camLine: SerialTransport
const problems: string[] = []

beforeAll(async () => {
  ensureWebBuild() // one locked, staleness-checked build for all test files (test/helpers/web-build.ts)
  mkdirSync(SHOTS, { recursive: true })
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-e2e-dev-'))
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }), { webRoot: WEB_ROOT })
  pty = new PtyPair()
  await pty.start()
  cam = new ViscaEmulator()
  camLine = await SerialTransport.open({ path: pty.dev, baudRate: 9600 })
  cam.attach(camLine)
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  watchProblems(page, problems)
  await page.goto(core.url)
  await page.getByLabel('User').fill('admin')
  await page.getByLabel('Password').fill('test-admin-pw')
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.locator('.conn-open').waitFor()
  await page.locator('nav a[href="#/device"]').click()
})

afterAll(async () => {
  await browser?.close()
  await core?.stop()
  cam?.stop()
  camLine?.close()
  await pty?.kill()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const linkState = () => page.getByTestId('device-link-state')

describe('Device page', () => {
  it('anonymous: the link is shown, the source and emulator controls are not', async () => {
    const anon = await browser.newPage()
    anon.on('pageerror', (e) => problems.push(`anon pageerror: ${e.message}`))
    await anon.goto(core.url)
    await anon.getByRole('button', { name: 'Look without logging in' }).click()
    await anon.locator('nav a[href="#/device"]').click()
    await expect.poll(() => anon.getByTestId('device-link-state').textContent(), { timeout: 10_000 }).toBe('connected')
    await anon.getByText('Log in to change the controller source.').waitFor()
    expect(await anon.getByRole('heading', { name: 'Driver and port' }).count()).toBe(0)
    expect(await anon.getByTestId('press-light1').count()).toBe(0)
    await anon.close()
  })

  it('shows the simulated controller connected, presses its buttons and logs the decoded traffic', async () => {
    await expect.poll(() => linkState().textContent(), { timeout: 10_000 }).toBe('connected')
    expect(await page.getByTestId('device-link').textContent()).toMatch(/PCP 1, pitwall-sim/)
    await page.getByTestId('press-light1').click()
    await page.getByTestId('device-traffic').getByText(/EVT cam1-light=1/).waitFor()
    await page.screenshot({ path: join(SHOTS, 'device-sim.png'), fullPage: true })
    expect(problems).toEqual([])
  })

  it('injects a fault: the link drops and comes back when it is cleared', async () => {
    await page.getByLabel('Fault').selectOption('silent')
    await page.getByRole('button', { name: 'Inject', exact: true }).click()
    await expect.poll(() => linkState().textContent(), { timeout: 5000, interval: 50 }).not.toBe('connected')
    await page.getByLabel('Fault').selectOption('none')
    await page.getByRole('button', { name: 'Inject', exact: true }).click()
    await expect.poll(() => linkState().textContent(), { timeout: 10_000 }).toBe('connected')
    expect(problems).toEqual([])
  })

  it('switches to a VISCA camera on a serial port and drives its extras', async () => {
    await page.getByLabel('Driver').selectOption('visca')
    await page.getByLabel('Port').fill(pty.app)
    await page.getByLabel('Baud').selectOption('9600')
    await page.getByRole('button', { name: 'Connect', exact: true }).click()
    await expect.poll(() => linkState().textContent(), { timeout: 10_000 }).toBe('connected')
    expect(await page.getByTestId('device-link').textContent()).toMatch(/VISCA camera 1, Sony model 0519/)
    // the camera section's "Device controls" run the VISCA extras; the device panel shows what the camera reports
    const focusMode = page.locator('.camera-row', { hasText: 'Focus mode' }).locator('select')
    await focusMode.waitFor()
    await focusMode.selectOption('manual')
    await expect.poll(() => cam.state.focusMode).toBe(3)
    await page.getByTestId('visca-extras').getByText(/^manual/).waitFor()
    await page.getByTestId('device-traffic').getByText('81 01 04 38 03 FF').waitFor()
    await page.screenshot({ path: join(SHOTS, 'device-visca.png'), fullPage: true })
    // and back to the emulator with the switch
    await page.getByTestId('emulator-switch').click() // controlled: it turns on once the core reports the new source
    await expect.poll(() => page.getByTestId('device-link').textContent(), { timeout: 10_000 }).toMatch(/connected.*pitwall-sim/)
    expect(problems).toEqual([])
  })
})
