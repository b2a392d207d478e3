import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureWebBuild } from '../helpers/web-build.ts'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { Client } from '../integration/messaging/helpers.ts'
import { launchChromium, watchProblems } from '../helpers/browser.ts'

// The Messages page in Chromium against a real core, with a LAN client on /ws at the same time.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WEB_ROOT = join(ROOT, 'out/renderer')
const SHOTS = join(ROOT, 'test-results')

let core: Core
let browser: Browser
let page: Page
let dataDir: string
const problems: string[] = []

beforeAll(async () => {
  // The page under test must be this tree's: rebuilt when the sources changed, once for all test files
  // (an unconditional rebuild empties out/ under the other e2e files running in parallel).
  ensureWebBuild()
  mkdirSync(SHOTS, { recursive: true })
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-e2e-msg-'))
  core = await createCore(parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }), { webRoot: WEB_ROOT })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.setDefaultTimeout(8000)
  watchProblems(page, problems)
})

afterAll(async () => {
  await page?.screenshot({ path: join(SHOTS, 'messages-last.png'), fullPage: true }).catch(() => {})
  await browser?.close()
  await core?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

/** A conversation button by its exact label (the badge's digits are part of its text). */
const conv = (label: string) => page.locator('.conv', { has: page.locator('.conv-label', { hasText: new RegExp(`^${label.replace('.', '\\.')}$`) }) })

describe('Messages page', () => {
  it('shows rooms with live history, sends a broadcast, receives a direct message with an unread count, shows presence', async () => {
    const auth = core.ctx.auth
    await auth.createUser({ username: 'crew1', password: 'crew-password-1', role: 'operator' })
    const { token } = await auth.issue('crew1', 'operator')
    const lan = await Client.open(`${core.url.replace('http:', 'ws:')}/ws?token=${token}`)
    await lan.next('Status')
    await lan.request({ type: 'Subscribe', data: { topics: ['rooms.*', 'chat.#'] }, id: 's' })
    await lan.request({ type: 'Broadcast', data: { topic: 'chat.crew', payload: { message: 'box this lap' } }, id: 'b' })

    await page.goto(core.url)
    await page.getByLabel('User').fill('admin')
    await page.getByLabel('Password').fill('test-admin-pw')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.locator('.conn-open').waitFor()
    await page.goto(`${core.url}/#/messages`)
    await page.locator('.messages-page h1', { hasText: 'Messages' }).waitFor()

    // Presence of the LAN client.
    await page.locator('.msg-presence li', { hasText: 'crew1' }).filter({ hasText: 'online' }).waitFor()
    // The pit box's devices: the (simulated) camera controller.
    await page.locator('.msg-presence li', { hasText: 'Camera controller' }).filter({ hasText: 'connected' }).waitFor()
    // A topic with history.
    await conv('chat.crew').click()
    await page.locator('.msg-text', { hasText: 'box this lap' }).waitFor()
    // The default room: broadcast from the page, received on /ws.
    await conv('general').click()
    await page.getByLabel('Message', { exact: true }).fill('pit window open')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.locator('.msg-text', { hasText: 'pit window open' }).waitFor()
    const got = await lan.next('Broadcast')
    expect(got.data).toMatchObject({ payload: { message: 'pit window open' }, metadata: { from_user: 'admin' } })
    expect(got.data.topic).toMatch(/^rooms\.room_/)
    // A live message on another topic while general is open: unread count.
    await lan.request({ type: 'Broadcast', data: { topic: 'chat.crew', payload: { message: 'copy' } }, id: 'b2' })
    await conv('chat.crew').locator('.badge', { hasText: '1' }).waitFor()
    // A direct message to admin: a Direct entry with an unread badge; open it, reply.
    // The person on the page counts as admin's connection: delivered, not queued.
    const dmAck = await lan.request({ type: 'DirectMessage', data: { target_user: 'admin', payload: { message: 'tyres?' } }, id: 'd' })
    expect(dmAck).toMatchObject({ type: 'Ack', data: { status: 'delivered', delivered_to: [expect.any(String)] } })
    await conv('crew1').locator('.badge', { hasText: '1' }).waitFor()
    await conv('crew1').click()
    await page.locator('.msg-text', { hasText: 'tyres?' }).waitFor()
    await page.getByLabel('Message', { exact: true }).fill('softs')
    await page.getByRole('button', { name: 'Send' }).click()
    expect((await lan.next('DirectMessage')).data).toMatchObject({ from_user: 'admin', payload: { message: 'softs' } })
    // A direct message to someone never connected: queued, shown as such.
    await core.ctx.auth.createUser({ username: 'crew2', password: 'crew-password-2', role: 'viewer' })
    await page.getByLabel('Message a user').fill('crew2')
    await page.getByLabel('Message a user').press('Enter')
    await page.getByLabel('Message', { exact: true }).fill('call me')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.locator('.msg', { hasText: 'call me' }).filter({ hasText: 'queued (offline)' }).waitFor()
    await page.screenshot({ path: join(SHOTS, 'messages.png'), fullPage: true })
    // Offline presence when the LAN client leaves.
    await lan.close()
    await page.locator('.msg-presence li', { hasText: 'crew1' }).filter({ hasText: 'seen' }).waitFor()
    expect(problems).toEqual([])
  })
})
