import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { silentLogger } from '../../../src/main/log/index.ts'
import { plainError, UpdateController, type UpdaterLike } from '../../../src/main/desktop/updater.ts'
import type { UpdateState } from '../../../src/shared/ui-api/index.ts'

// The update state machine: with electron-updater replaced by a scripted fake, and with the real
// electron-updater (its generic provider and AppImage updater) checking a local static feed.

class FakeUpdater extends EventEmitter implements UpdaterLike {
  autoDownload = false
  autoInstallOnAppQuit = false
  allowPrerelease = false
  allowDowngrade = true
  channel: string | null = null
  feed: unknown
  checks = 0
  installs: unknown[] = []
  next: () => Promise<unknown> = async () => {
    this.emit('checking-for-update')
    this.emit('update-not-available', { version: '0.1.0' })
    return { updateInfo: { version: '0.1.0' } }
  }
  setFeedURL(o: unknown) {
    this.feed = o
  }
  checkForUpdates() {
    this.checks++
    return this.next()
  }
  async downloadUpdate() {
    return []
  }
  quitAndInstall(...args: unknown[]) {
    this.installs.push(args)
  }
}

const controller = (u: FakeUpdater | null, extra: Partial<ConstructorParameters<typeof UpdateController>[0]> = {}) =>
  new UpdateController({ updater: u, channel: 'stable', log: silentLogger(), now: () => 1000, ...extra })

describe('UpdateController (electron-updater mocked)', () => {
  afterEach(() => vi.useRealTimers())

  it('configures the generic feed and channel', () => {
    const u = new FakeUpdater()
    controller(u, { feedUrl: 'https://updates.example/pitwall', channel: 'beta' })
    expect(u.feed).toEqual({ provider: 'generic', url: 'https://updates.example/pitwall', channel: 'beta' })
    expect(u).toMatchObject({ autoDownload: true, autoInstallOnAppQuit: true, allowPrerelease: true, allowDowngrade: false, channel: 'beta' })
    const s = new FakeUpdater()
    controller(s, { feedUrl: 'https://updates.example/pitwall' })
    expect(s).toMatchObject({ allowPrerelease: false, allowDowngrade: false, channel: null })
  })

  it('no update: checking → up-to-date', async () => {
    const u = new FakeUpdater()
    const c = controller(u)
    const seen: string[] = []
    c.onChange((s) => seen.push(s.state))
    expect(await c.check()).toEqual({ state: 'up-to-date', lastCheck: 1000 })
    expect(seen).toEqual(['checking', 'checking', 'up-to-date'])
  })

  it('update found: downloads in the background with progress, then offers the restart', async () => {
    const u = new FakeUpdater()
    const c = controller(u)
    const seen: UpdateState[] = []
    c.onChange((s) => seen.push(s))
    u.next = async () => {
      u.emit('update-available', { version: '0.2.0' })
      return {}
    }
    await c.check()
    expect(c.state).toEqual({ state: 'downloading', version: '0.2.0', percent: 0 })
    u.emit('download-progress', { percent: 41.6, bytesPerSecond: 123456.7 })
    expect(c.state).toEqual({ state: 'downloading', version: '0.2.0', percent: 42, bytesPerSecond: 123457 })
    u.emit('download-progress', { percent: 250 })
    expect(c.state).toMatchObject({ percent: 100 })
    // A check while downloading does not start another.
    await c.check()
    expect(u.checks).toBe(1)
    u.emit('update-downloaded', { version: '0.2.0' })
    expect(c.state).toEqual({ state: 'downloaded', version: '0.2.0' })
    expect(c.install()).toBe(true)
    expect(u.installs).toEqual([[false, true]])
  })

  it('with automatic download off: available → download on request', async () => {
    const u = new FakeUpdater()
    const c = controller(u, { autoDownload: false })
    u.next = async () => (u.emit('update-available', { version: '0.3.0' }), {})
    await c.check()
    expect(c.state).toEqual({ state: 'available', version: '0.3.0' })
    expect(c.install()).toBe(false)
    const dl = vi.spyOn(u, 'downloadUpdate')
    await c.download()
    expect(dl).toHaveBeenCalledOnce()
    expect(c.state).toMatchObject({ state: 'downloading', version: '0.3.0' })
  })

  it('failures become a plain error state, never an exception, and the next check retries', async () => {
    const u = new FakeUpdater()
    const c = controller(u)
    u.next = async () => {
      throw new Error('net::ERR_INTERNET_DISCONNECTED\n    at SimpleURLLoaderWrapper.<anonymous> (node:electron/js2c/browser_init:2:49138)')
    }
    expect(await c.check()).toEqual({ state: 'error', message: 'Cannot reach the update server (offline?)', lastCheck: undefined } as never)
    u.emit('error', new Error('sha512 checksum mismatch, expected abc, got def'))
    expect(c.state).toMatchObject({ state: 'error', message: 'The downloaded update was damaged (checksum mismatch); it will be fetched again' })
    u.next = async () => (u.emit('update-not-available', {}), {})
    expect((await c.check()).state).toBe('up-to-date')
  })

  it('a build that is not installed: disabled, with the reason', async () => {
    const c = controller(null, { disabledReason: 'Updates work only in an installed build' })
    expect(c.state).toEqual({ state: 'disabled', reason: 'Updates work only in an installed build' })
    expect(await c.check()).toEqual(c.state)
    const u = new FakeUpdater()
    u.next = async () => null // electron-updater's answer when it is inactive
    const d = controller(u)
    expect(await d.check()).toEqual({ state: 'disabled', reason: 'Updates work only in an installed build' })
  })

  it('checks shortly after start, then every interval, and stops', async () => {
    vi.useFakeTimers()
    const u = new FakeUpdater()
    const c = controller(u, { firstCheckDelayMs: 10_000, intervalMs: 60_000 })
    c.start()
    await vi.advanceTimersByTimeAsync(9_999)
    expect(u.checks).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(u.checks).toBe(1)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(u.checks).toBe(3)
    c.stop()
    await vi.advanceTimersByTimeAsync(600_000)
    expect(u.checks).toBe(3)
  })

  it.each([
    ['Error: Cannot find channel "latest-linux.yml" update info: HttpError: 404 Not Found', 'The update feed has no release for this platform and channel'],
    ['connect ECONNREFUSED 127.0.0.1:9', 'The update server refused the connection'],
    ['x'.repeat(400), `${'x'.repeat(297)}...`],
    ['', 'Unknown error'],
  ])('plainError(%s)', (raw, plain) => {
    expect(plainError(new Error(raw))).toBe(plain)
  })
})

// --- the real electron-updater against a local static feed ---------------------------------------

const require = createRequire(import.meta.url)
const { AppImageUpdater } = require('electron-updater') as typeof import('electron-updater')
const { HttpExecutor } = require('builder-util-runtime') as typeof import('builder-util-runtime')

/** electron-updater's HTTP goes through Electron's `net`; in Node it goes through node:http instead. */
class NodeHttpExecutor extends HttpExecutor<ReturnType<typeof request>> {
  createRequest(options: any, callback: (response: any) => void) {
    return request(options, callback)
  }
}

function fakeApp(dir: string, version: string) {
  return {
    version,
    name: 'Pitwall',
    isPackaged: true,
    appUpdateConfigPath: join(dir, 'app-update.yml'),
    userDataPath: dir,
    baseCachePath: dir,
    whenReady: () => Promise.resolve(),
    quit() {},
    relaunch() {},
    onQuit() {},
  }
}

describe('UpdateController with the real electron-updater (generic provider, local feed)', () => {
  let server: Server
  let base: string
  let dir: string
  const requested: string[] = []
  let feedVersion = '0.2.0'

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pitwall-update-'))
    server = createServer((req, res) => {
      requested.push(req.url!)
      if (/^\/pitwall\/(latest|beta)-linux\.yml$/.test(req.url!.split('?')[0]!)) {
        res.writeHead(200, { 'content-type': 'text/yaml' })
        res.end(
          [
            `version: ${feedVersion}`,
            'files:',
            `  - url: Pitwall-${feedVersion}.AppImage`,
            '    sha512: 3a3W8m0Oqq3V0+1pUvYtEG2a0Hk6M1hWJx0Vb0S7eX8m2Gm9C0cJ0zqUjW0pQy6I7mXoFx0yYH8pGzEw4bQ8Yw==',
            '    size: 104857600',
            `path: Pitwall-${feedVersion}.AppImage`,
            'sha512: 3a3W8m0Oqq3V0+1pUvYtEG2a0Hk6M1hWJx0Vb0S7eX8m2Gm9C0cJ0zqUjW0pQy6I7mXoFx0yYH8pGzEw4bQ8Yw==',
            "releaseDate: '2026-11-20T12:00:00.000Z'",
            '',
          ].join('\n'),
        )
        return
      }
      res.writeHead(404).end('not found')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pitwall`
  })
  afterAll(async () => {
    await new Promise((r) => server.close(r))
    rmSync(dir, { recursive: true, force: true })
  })

  const realUpdater = (version = '0.1.0') => {
    const u = new AppImageUpdater(null, fakeApp(dir, version) as never)
    u.forceDevUpdateConfig = true
    u.logger = null
    ;(u as unknown as { httpExecutor: unknown }).httpExecutor = new NodeHttpExecutor()
    return u as unknown as UpdaterLike
  }

  it('finds the newer version in latest-linux.yml', async () => {
    requested.length = 0
    const c = new UpdateController({ updater: realUpdater('0.1.0'), feedUrl: base, channel: 'stable', autoDownload: false, log: silentLogger() })
    expect(await c.check()).toEqual({ state: 'available', version: '0.2.0' })
    expect(requested[0]).toMatch(/^\/pitwall\/latest-linux\.yml/)
  })

  it('the same version is up to date', async () => {
    const c = new UpdateController({ updater: realUpdater('0.2.0'), feedUrl: base, channel: 'stable', autoDownload: false, log: silentLogger() })
    expect((await c.check()).state).toBe('up-to-date')
  })

  it('the beta channel reads beta-linux.yml and accepts a prerelease', async () => {
    requested.length = 0
    feedVersion = '0.3.0-beta.1'
    try {
      const c = new UpdateController({ updater: realUpdater('0.2.0'), feedUrl: base, channel: 'beta', autoDownload: false, log: silentLogger() })
      expect(await c.check()).toEqual({ state: 'available', version: '0.3.0-beta.1' })
      expect(requested[0]).toMatch(/^\/pitwall\/beta-linux\.yml/)
    } finally {
      feedVersion = '0.2.0'
    }
  })

  it('a feed without this platform’s file: a plain error, the app carries on', async () => {
    const c = new UpdateController({ updater: realUpdater('0.1.0'), feedUrl: base.replace('/pitwall', '/nothing-here'), channel: 'stable', autoDownload: false, log: silentLogger() })
    const s = await c.check()
    expect(s.state).toBe('error')
    expect(s).toMatchObject({ message: 'The update feed has no release for this platform and channel' })
  })
})
