import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureWebBuild } from '../helpers/web-build.ts'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { launchChromium, watchProblems } from '../helpers/browser.ts'

// The renderer in its desktop mode, in Chromium: the preload's `window.pitwall` is stood in for by a
// bridge (injected before the page loads) that forwards the UI API to a real core and plays the shell's
// desktop section. So the IPC transport, the no-login desktop shell, the first-run password, the desktop
// settings, update progress and deep-link navigation are exercised in a real browser.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WEB_ROOT = join(ROOT, 'out/renderer')
const SHOTS = join(ROOT, 'test-results')

const BRIDGE = String.raw`
(() => {
  const token = TOKEN
  const ws = new WebSocket('ws://' + location.host + '/ui?token=' + token)
  const opened = new Promise((resolve) => ws.addEventListener('message', function h(e) { if (JSON.parse(e.data).t === 'hello') { ws.removeEventListener('message', h); resolve() } }))
  const calls = new Map()
  const eventListeners = new Set()
  const navListeners = new Set()
  let nextCall = 1e6
  let desktopSub = null
  let firstRun = 'abcde-fghij-klmno'
  const desk = { version: '0.1.0', platform: 'linux', update: { state: 'idle' }, settings: { closeToTray: true, startMinimized: false, openAtLogin: false, notifyDirectMessages: true, notifyFlagChanges: true, muted: false } }
  const log = []
  const emitDesk = () => { if (desktopSub !== null) for (const l of eventListeners) l(desktopSub, JSON.parse(JSON.stringify(desk))) }
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(e.data)
    if (m.t === 'event') for (const l of eventListeners) l(m.id, m.data)
    else if ((m.t === 'result' || m.t === 'error') && calls.has(m.id)) { calls.get(m.id)(m.t === 'result' ? { ok: true, result: m.result } : { ok: false, error: m.error }); calls.delete(m.id) }
  })
  const forward = async (msg) => { await opened; return new Promise((resolve) => { const id = msg.id ?? nextCall++; calls.set(id, resolve); ws.send(JSON.stringify({ ...msg, id })) }) }
  window.__desk = {
    log,
    setUpdate(u) { desk.update = u; emitDesk() },
    navigate(h) { for (const l of navListeners) l(h) },
    breakDesktop() { desk.settings = undefined; emitDesk() },
  }
  window.pitwall = {
    platform: 'linux',
    async call(method, params) {
      log.push(method)
      if (method === 'session.get') { const r = { user: { username: 'local', role: 'admin' } }; if (firstRun) { r.firstRunPassword = firstRun; firstRun = undefined } return { ok: true, result: r } }
      if (method === 'desktop.get') return { ok: true, result: desk }
      if (method === 'desktop.settings.set') { Object.assign(desk.settings, params); emitDesk(); return { ok: true, result: desk.settings } }
      if (method === 'desktop.update.check') { desk.update = { state: 'up-to-date', lastCheck: Date.now() }; emitDesk(); return { ok: true, result: desk.update } }
      if (method === 'desktop.update.install') { log.push('INSTALL'); return { ok: true, result: { ok: true } } }
      return forward({ t: 'call', method, params })
    },
    async subscribe(id, topic, params) {
      if (topic === 'desktop') { desktopSub = id; setTimeout(emitDesk, 0); return { ok: true, result: null } }
      return forward({ t: 'sub', id, topic, params })
    },
    async unsubscribe(id) { if (id === desktopSub) desktopSub = null; else { await opened; ws.send(JSON.stringify({ t: 'unsub', id })) } },
    onEvent(l) { eventListeners.add(l); return () => eventListeners.delete(l) },
    onNavigate(l) { navListeners.add(l); return () => navListeners.delete(l) },
  }
})()
`

let core: Core
let browser: Browser
let page: Page
let dataDir: string
const problems: string[] = []

beforeAll(async () => {
  ensureWebBuild()
  mkdirSync(SHOTS, { recursive: true })
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-e2e-desk-'))
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }), { webRoot: WEB_ROOT })
  const { token } = await core.ctx.auth.issue('admin', 'admin')
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  watchProblems(page, problems)
  await page.addInitScript({ content: BRIDGE.replace('TOKEN', JSON.stringify(token)) })
})

afterAll(async () => {
  await browser?.close()
  await core?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('desktop window renderer (IPC transport) in Chromium', () => {
  it('opens without a login page, connected, with the first-run password banner', async () => {
    await page.goto(core.url)
    await page.locator('.conn-open').waitFor()
    expect(await page.locator('.conn').getAttribute('title')).toContain('Desktop (IPC)')
    expect(await page.getByRole('button', { name: /Log (in|out)/ }).count()).toBe(0)
    await page.getByText('First run: an admin password was generated.').waitFor()
    expect(problems).toEqual([])
  })

  it('shows the password once on Settings, with the desktop switches and update state', async () => {
    await page.locator('nav a[href="#/settings"]').click()
    await page.locator('code.secret', { hasText: 'abcde-fghij-klmno' }).waitFor()
    await page.getByText('this desktop window is trusted as the local admin').waitFor()
    const mute = page.getByLabel('Mute all notifications')
    expect(await mute.isChecked()).toBe(false)
    await mute.check()
    await page.waitForFunction('window.__desk.log.includes("desktop.settings.set")')
    expect(await mute.isChecked()).toBe(true)
    await page.getByRole('button', { name: 'Check for updates' }).click()
    await page.getByText(/up to date \(checked/).waitFor()
    // Users come from the real core through the bridge.
    await page.locator('table.users td', { hasText: 'admin' }).first().waitFor()
    await page.getByRole('button', { name: 'I have noted it' }).click()
    expect(await page.locator('code.secret').count()).toBe(0)
    await page.screenshot({ path: join(SHOTS, 'desktop-settings.png'), fullPage: true })
    expect(problems).toEqual([])
  })

  it('shows download progress, then the restart-to-update prompt', async () => {
    await page.evaluate("window.__desk.setUpdate({ state: 'downloading', version: '0.2.0', percent: 42 })")
    await page.getByText('Downloading Pitwall 0.2.0… 42%').waitFor()
    expect(await page.getByLabel('Download progress').getAttribute('value')).toBe('42')
    await page.evaluate("window.__desk.setUpdate({ state: 'downloaded', version: '0.2.0' })")
    await page.getByText('Pitwall 0.2.0 is ready.').waitFor()
    await page.screenshot({ path: join(SHOTS, 'desktop-update-ready.png') })
    await page.locator('.banner').getByRole('button', { name: 'Restart to update' }).click()
    await page.waitForFunction('window.__desk.log.includes("INSTALL")')
    expect(problems).toEqual([])
  })

  it('follows a deep link from the shell to a page', async () => {
    await page.evaluate("window.__desk.navigate('#/timing?event=3&car=12')")
    await page.waitForFunction("location.hash === '#/timing?event=3&car=12'")
    await page.locator('nav a.active', { hasText: 'Timing' }).waitFor()
    await page.evaluate("window.__desk.navigate('#/logs')")
    await page.locator('.log-line').first().waitFor()
    expect(problems).toEqual([])
  })

  it('a page that throws shows the error in place; the rest of the app keeps working', async () => {
    await page.evaluate("window.__desk.navigate('#/settings')")
    await page.locator('h1', { hasText: 'Settings' }).waitFor()
    problems.length = 0
    await page.evaluate('window.__desk.breakDesktop()') // the Desktop card now reads a missing object
    await page.getByText('This page stopped working').waitFor()
    await page.screenshot({ path: join(SHOTS, 'desktop-page-error.png') })
    await page.locator('nav a[href="#/logs"]').click()
    await page.locator('.log-line').first().waitFor()
    expect(await page.locator('.conn-open').count()).toBe(1)
    // React reports the caught error on the console; nothing else may appear.
    expect(problems.filter((p) => !/settings|Cannot read properties of undefined|error boundary|above error/i.test(p))).toEqual([])
    expect(problems.some((p) => /Cannot read properties of undefined/.test(p))).toBe(true)
  })
})
