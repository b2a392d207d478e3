import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureWebBuild } from '../helpers/web-build.ts'
import { launchChromium, watchProblems } from '../helpers/browser.ts'

// The web UI in a real Chromium against `pitwall serve`: log in, visit every page, screenshot each, and
// fail on any console error or page error.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SHOTS = join(ROOT, 'test-results')
const PAGES = ['timing', 'runplan', 'messages', 'device', 'settings', 'logs']

let server: ChildProcess
let url: string
let browser: Browser
let page: Page
let dataDir: string
const problems: string[] = []

beforeAll(async () => {
  ensureWebBuild()
  mkdirSync(SHOTS, { recursive: true })
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-e2e-'))
  // A user's environment: no PITWALL_* from the test runner.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PITWALL_')))
  server = spawn(process.execPath, [join(ROOT, 'bin/pitwall.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--admin-password', 'test-admin-pw', '--timing', 'none', '--device', 'sim', '--log-level', 'info'], {
    cwd: ROOT,
    env: { ...env, PITWALL_LOG_TO_CONSOLE: 'false' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const t = setTimeout(() => reject(new Error(`pitwall serve did not print its URL: ${out}`)), 20_000)
    server.stdout!.on('data', (d) => {
      out += d
      const m = /Web UI: (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(t)
        resolve(m[1]!)
      }
    })
    server.once('exit', (code) => reject(new Error(`pitwall serve exited ${code}: ${out}`)))
  })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  watchProblems(page, problems)
})

afterAll(async () => {
  await browser?.close()
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r))
    server.kill('SIGTERM')
    await exited
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('web UI in Chromium', () => {
  it('shows the login page, logs in as admin and connects', async () => {
    await page.goto(url)
    await page.getByRole('button', { name: 'Log in' }).waitFor()
    await page.screenshot({ path: join(SHOTS, 'ui-login.png') })
    await page.getByLabel('User').fill('admin')
    await page.getByLabel('Password').fill('test-admin-pw')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.locator('.conn-open').waitFor()
    await page.getByRole('button', { name: 'Log out admin' }).waitFor()
    expect(await page.evaluate("localStorage.getItem('pitwall.token')")).toMatch(/\S{20,}/)
    expect(problems).toEqual([])
  })

  it('visits every page from the navigation and screenshots each', async () => {
    for (const id of PAGES) {
      await page.locator(`nav a[href="#/${id}"]`).click()
      await page.waitForFunction(`location.hash === '#/${id}'`)
      await page.locator(`nav a.active[href="#/${id}"]`).waitFor()
      // Every page says something: a heading at least.
      await page.locator('main h1, main h2').first().waitFor()
      await page.screenshot({ path: join(SHOTS, `ui-${id}.png`), fullPage: true })
    }
    expect(problems).toEqual([])
  })

  it('shows engine status and live logs', async () => {
    await page.locator('.engines .engine', { hasText: 'store' }).waitFor()
    await page.goto(`${url}/#/logs`)
    await page.locator('.log-line', { hasText: 'LAN server listening' }).first().waitFor()
    // A failed login elsewhere is logged by the server (warn) and shows up live.
    await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'e2e-nobody', password: 'wrong-password' }) })
    await page.locator('.log-line.level-warn', { hasText: 'failed login' }).waitFor()
    await page.getByLabel('Minimum level').selectOption('error')
    expect(await page.locator('.log-line', { hasText: 'failed login' }).count()).toBe(0)
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
    // The change is real on the server: the new password logs in, with the new role.
    const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'crew1', password: 'crew-password-2' }) })
    expect(((await login.json()) as { user: { role: string } }).user.role).toBe('operator')
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

  it('a login ended elsewhere sends the browser back to the login page, saying so', async () => {
    problems.length = 0
    await page.getByLabel('Password').fill('test-admin-pw')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.locator('.conn-open').waitFor()
    const token = (await page.evaluate("localStorage.getItem('pitwall.token')")) as string
    // The session is ended from outside (another tab logging out, an admin changing the password…).
    expect((await fetch(`${url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    await page.reload()
    await page.getByText('Your session ended. Log in again.').waitFor()
    expect(await page.evaluate("localStorage.getItem('pitwall.token')")).toBeNull()
    // Allowed here only: Chromium reporting the refused upgrade and the 401 of the session check.
    expect(problems.filter((p) => !/status of 401|WebSocket/.test(p))).toEqual([])
  })

  it('a viewer sees the pages, is told users are for admins, and cannot change them', async () => {
    problems.length = 0
    const admin = (await (await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'test-admin-pw' }) })).json()) as { token: string }
    const made = await fetch(`${url}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ username: 'watcher', password: 'watcher-pw-1', role: 'viewer' }) })
    expect(made.status).toBe(201)
    await page.getByLabel('User').fill('watcher')
    await page.getByLabel('Password').fill('watcher-pw-1')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('button', { name: 'Log out watcher' }).waitFor()
    await page.locator('nav a[href="#/settings"]').click()
    await page.getByText('Only an admin can see and manage users.').waitFor()
    expect(await page.locator('table.users').count()).toBe(0)
    await page.locator('nav a[href="#/logs"]').click()
    await page.locator('.log-line').first().waitFor()
    await page.screenshot({ path: join(SHOTS, 'ui-viewer-logs.png') })
    expect(problems).toEqual([])
  })
})
