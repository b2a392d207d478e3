import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'

// The web UI in a real Chromium against a real core: log in, visit every page, screenshot each, and
// fail on any console error or page error.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WEB_ROOT = join(ROOT, 'out/renderer')
const SHOTS = join(ROOT, 'test-results')
const PAGES = ['timing', 'messages', 'device', 'settings', 'logs']

let core: Core
let browser: Browser
let page: Page
let dataDir: string
const problems: string[] = []

beforeAll(async () => {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' })
    if (r.status !== 0) throw new Error('electron-vite build failed')
  }
  mkdirSync(SHOTS, { recursive: true })
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-e2e-'))
  core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }),
    { webRoot: WEB_ROOT },
  )
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
})

afterAll(async () => {
  await browser?.close()
  await core?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('web UI in Chromium', () => {
  it('shows the login page, logs in as admin and connects', async () => {
    await page.goto(core.url)
    await page.getByRole('button', { name: 'Log in' }).waitFor()
    await page.screenshot({ path: join(SHOTS, 'ui-login.png') })
    await page.getByLabel('User').fill('admin')
    await page.getByLabel('Password').fill('test-admin-pw')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.locator('.conn-open').waitFor()
    expect(await page.locator('.topbar').textContent()).toContain('Log out admin')
    expect(await page.evaluate("localStorage.getItem('pitwall.token')")).toMatch(/\S{20,}/)
    expect(problems).toEqual([])
  })

  it('visits every page from the navigation and screenshots each', async () => {
    for (const id of PAGES) {
      await page.locator(`nav a[href="#/${id}"]`).click()
      await page.waitForFunction(`location.hash === '#/${id}'`)
      await page.locator('nav a.active').filter({ hasText: new RegExp(id, 'i') }).waitFor()
      // Every page says something: a heading at least.
      await page.locator('main h1, main h2').first().waitFor()
      await page.screenshot({ path: join(SHOTS, `ui-${id}.png`), fullPage: true })
    }
    expect(problems).toEqual([])
  })

  it('shows engine status and live logs', async () => {
    await page.locator('.engines .engine', { hasText: 'store' }).waitFor()
    await page.goto(`${core.url}/#/logs`)
    await page.locator('.log-line', { hasText: 'LAN server listening' }).first().waitFor()
    core.ctx.log.child({ area: 'e2e' }).warn('a live line from the e2e test')
    await page.locator('.log-line', { hasText: 'a live line from the e2e test' }).waitFor()
    await page.getByLabel('Minimum level').selectOption('error')
    expect(await page.locator('.log-line', { hasText: 'a live line from the e2e test' }).count()).toBe(0)
    await page.getByLabel('Minimum level').selectOption('info')
    expect(problems).toEqual([])
  })

  it('manages users on the Settings page', async () => {
    await page.locator('nav a[href="#/settings"]').click()
    await page.locator('table.users td', { hasText: 'admin' }).first().waitFor()
    await page.getByLabel('Username').fill('crew1')
    await page.getByLabel('Password').fill('crew-password-1')
    await page.getByLabel('Role').selectOption('viewer')
    await page.getByRole('button', { name: 'Save user' }).click()
    const row = page.locator('table.users tr', { hasText: 'crew1' })
    await row.waitFor()
    expect(await row.textContent()).toContain('viewer')
    // Change the role (and password) with the same form.
    await page.getByLabel('Username').fill('crew1')
    await page.getByLabel('Password').fill('crew-password-2')
    await page.getByLabel('Role').selectOption('operator')
    await page.getByRole('button', { name: 'Save user' }).click()
    await page.locator('table.users tr', { hasText: 'crew1' }).filter({ hasText: 'operator' }).waitFor()
    expect(core.ctx.auth.listUsers().find((u) => u.username === 'crew1')?.role).toBe('operator')
    await row.getByRole('button', { name: 'Delete…' }).click()
    await row.getByRole('button', { name: 'Delete crew1' }).click()
    await page.locator('.ok', { hasText: 'Deleted crew1' }).waitFor()
    expect(await page.locator('table.users tr', { hasText: 'crew1' }).count()).toBe(0)
    expect(problems).toEqual([])
  })

  it('switches theme and remembers it across a reload', async () => {
    const before = await page.evaluate('document.documentElement.dataset.theme')
    await page.locator('button.icon').click()
    const after = await page.evaluate('document.documentElement.dataset.theme')
    expect(after).not.toBe(before)
    await page.reload()
    await page.locator('.conn-open').waitFor()
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe(after)
    await page.screenshot({ path: join(SHOTS, `ui-settings-${after}.png`), fullPage: true })
    expect(problems).toEqual([])
  })

  it('logs out, and refuses a wrong password with a clear message', async () => {
    await page.getByRole('button', { name: /Log out admin/ }).click()
    await page.getByText('Logged out.').waitFor()
    expect(await page.evaluate("localStorage.getItem('pitwall.token')")).toBeNull()
    expect(problems).toEqual([])
    await page.getByLabel('Password').fill('wrong-password')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('alert').waitFor()
    // The only console error allowed here is Chromium reporting the refused login (HTTP 401).
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([])
  })
})
