import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureWebBuild } from '../helpers/web-build.ts'
import { parseConfig } from '../../src/main/config/index.ts'
import { type Core, createCore } from '../../src/main/core/index.ts'
import { RpcClient, RpcDataSource, RpcTags, RunPlanCrudTags } from '../../src/main/rpc/index.ts'
import type { RunPlanItem } from '../../src/shared/runplan.ts'
import { launchChromium, watchProblems } from '../helpers/browser.ts'

// The run plan page in Chromium, kept in sync with an RPC client in Node; and the RPC client itself
// running in the browser (bundled from src/main/rpc), talking acbinary to the hub.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WEB_ROOT = join(ROOT, 'out/renderer')
const tags = { ...RunPlanCrudTags, added: RpcTags.RunPlanAdded, updated: RpcTags.RunPlanUpdated, removed: RpcTags.RunPlanRemoved }

let core: Core
let browser: Browser
let page: Page
let dataDir: string
let bundle: string
let node: RpcClient
let token: string
const problems: string[] = []

beforeAll(async () => {
  ensureWebBuild() // one locked, staleness-checked build for all test files (test/helpers/web-build.ts)
  dataDir = mkdtempSync(join(tmpdir(), 'pitwall-e2e-rpc-'))
  const out = join(dataDir, 'bundle')
  await build({
    configFile: false,
    logLevel: 'warn',
    build: { write: true, outDir: out, emptyOutDir: true, minify: false, lib: { entry: join(ROOT, 'test/e2e/fixtures/rpc-browser-entry.ts'), formats: ['iife'], name: 'PitwallRpcBundle', fileName: () => 'rpc.js' } },
  })
  bundle = readFileSync(join(out, 'rpc.js'), 'utf8')
  core = await createCore(
    parseConfig({ port: 0, host: '127.0.0.1', dataDir, logToConsole: false, adminPassword: 'test-admin-pw', timing: { source: 'none' }, device: { source: 'sim' } }),
    { webRoot: WEB_ROOT },
  )
  token = (await core.ctx.auth.issue('admin', 'admin')).token
  node = new RpcClient({ url: `${core.url}/hubs/rpc`, accessTokenFactory: () => token })
  await node.start()
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  watchProblems(page, problems)
})

afterAll(async () => {
  await node?.stop()
  await browser?.close()
  await core?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('run plan in Chromium', () => {
  it('shows, adds and edits the run plan, live with an RPC client', async () => {
    const ds = new RpcDataSource<RunPlanItem>(node, tags)
    await ds.load()
    await page.goto(core.url)
    await page.getByLabel('User').fill('admin')
    await page.getByLabel('Password').fill('test-admin-pw')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.locator('.conn-open').waitFor()
    await page.locator('nav a[href="#/runplan"]').click()
    await page.getByRole('heading', { name: 'Run plan', exact: true }).waitFor()
    // Added in the browser → seen by the RPC client.
    const form = page.getByRole('form', { name: 'Add to the run plan' })
    await form.getByLabel('Driver').fill('Anna')
    await form.getByLabel('Laps').fill('32')
    await form.getByRole('button', { name: 'Add' }).click()
    await page.locator('table.runplan tbody tr').first().waitFor()
    await expect.poll(() => ds.items.map((i) => [i.driver, i.laps])).toEqual([['Anna', 32]])
    // Added by the RPC client → shown in the browser.
    await ds.add({ kind: 'fuel', fuelLiters: 55.5, note: 'fill to the brim' })
    await page.locator('table.runplan input[value="fill to the brim"]').waitFor()
    // Edited in the browser → the RPC client sees the new version.
    await page.getByLabel('Driver of item 1').fill('Ben')
    await page.locator('table.runplan tbody tr').first().getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => ds.items.find((i) => i.driver === 'Ben')?.version).toBe(2)
    // Removed by the RPC client → gone from the browser.
    await ds.remove(ds.items.find((i) => i.kind === 'fuel')!.id)
    await expect.poll(() => page.locator('table.runplan tbody tr').count()).toBe(1)
    await page.screenshot({ path: join(ROOT, 'test-results', 'ui-runplan.png'), fullPage: true }).catch(() => {})
    expect(problems).toEqual([])
    ds.dispose()
  })

  it('the RPC client runs in the browser: acbinary calls, broadcasts, DataSource', async () => {
    const p2 = await browser.newPage()
    await p2.goto(`${core.url}/healthz`) // same origin as the hub, no page script
    await p2.addScriptTag({ content: bundle })
    const result = await p2.evaluate(
      async ({ url, token }) => {
        const { RpcClient, RpcDataSource, RpcTags, RunPlanCrudTags } = (globalThis as unknown as { PitwallRpc: any }).PitwallRpc
        const c = new RpcClient({ url, accessTokenFactory: () => token })
        await c.start()
        const echo = await c.echo({ lap: 3, bytes: new Uint8Array([1, 2]) })
        const ds = new RpcDataSource(c, { ...RunPlanCrudTags, added: RpcTags.RunPlanAdded, updated: RpcTags.RunPlanUpdated, removed: RpcTags.RunPlanRemoved })
        await ds.load()
        const added = await ds.add({ kind: 'note', note: 'from the browser' })
        const err = await c.postAsync(4242).catch((e: { code: string }) => e.code)
        const gz = await c.postAsync(RpcTags.Echo, ['zip'], { serializer: 'JsonGZip' })
        await c.stop()
        return { echo: { lap: echo.lap, bytes: Array.from(echo.bytes as Uint8Array) }, note: added.note, count: ds.items.length, err, gz }
      },
      { url: `${core.url}/hubs/rpc`, token },
    )
    expect(result).toEqual({ echo: { lap: 3, bytes: [1, 2] }, note: 'from the browser', count: 2, err: 'unknown_tag', gz: 'zip' })
    expect((await node.getAllAsync<{ items: RunPlanItem[] }>(RpcTags.RunPlanGetAll)).items.some((i) => i.note === 'from the browser')).toBe(true)
    await p2.close()
  })
})
