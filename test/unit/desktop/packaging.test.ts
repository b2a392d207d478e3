import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'

// The installer config is valid for electron-builder (its own schema validator) and asks for what
// issue 10 needs; the icons it points at exist in every size and are real PNGs.

const require = createRequire(import.meta.url)
const root = new URL('../../../', import.meta.url)
const file = (rel: string) => new URL(rel, root)
const yaml = require('js-yaml') as { load(s: string): any }
const config = yaml.load(readFileSync(file('electron-builder.yml'), 'utf8'))

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own configuration validator', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(c: unknown, log: unknown): Promise<void> }
    await expect(validateConfiguration(structuredClone(config), { isEnabled: false, add() {} })).resolves.toBeUndefined()
    // …and the validator does refuse nonsense (so the line above can fail).
    await expect(validateConfiguration({ ...structuredClone(config), mac: { hardenedRuntim: true } }, { isEnabled: false, add() {} })).rejects.toThrow(/configuration\.mac/)
  })

  it('declares the app, the targets, hardened runtime, prebuilt native modules and the update feed', () => {
    expect(config.appId).toBe('app.pitwall.desktop')
    expect(config.productName).toBe('Pitwall')
    const targets = (t: Array<string | { target: string }>) => t.map((x) => (typeof x === 'string' ? x : x.target))
    expect(targets(config.win.target)).toEqual(['nsis', 'portable'])
    expect(targets(config.mac.target)).toEqual(['dmg', 'zip'])
    expect(targets(config.linux.target)).toEqual(['AppImage', 'deb'])
    expect(config.mac.hardenedRuntime).toBe(true)
    expect(config.npmRebuild).toBe(false)
    expect(config.publish).toEqual([expect.objectContaining({ provider: 'generic', url: expect.stringMatching(/^https:\/\//) })])
    expect(config.protocols[0].schemes).toEqual(['pitwall'])
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'resources/**']))
  })

  it('the entitlements file exists and grants only what the app uses', () => {
    const plist = readFileSync(file(config.mac.entitlements), 'utf8')
    const keys = [...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1])
    expect(keys).toEqual(expect.arrayContaining(['com.apple.security.cs.allow-jit', 'com.apple.security.network.server', 'com.apple.security.network.client']))
    expect(keys.every((k) => k!.startsWith('com.apple.security.'))).toBe(true)
  })

  it('package.json has the packaging scripts', () => {
    const pkg = JSON.parse(readFileSync(file('package.json'), 'utf8'))
    for (const os of ['win', 'mac', 'linux']) expect(pkg.scripts[`package:${os}`]).toBe(`electron-vite build && electron-builder --${os}`)
  })
})

function readPng(rel: string): { width: number; height: number; pixels: Buffer } {
  const buf = readFileSync(file(rel))
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))
  const width = buf.readUInt32BE(16)
  const height = buf.readUInt32BE(20)
  const idat: Buffer[] = []
  for (let i = 8; i < buf.length; ) {
    const len = buf.readUInt32BE(i)
    if (buf.toString('ascii', i + 4, i + 8) === 'IDAT') idat.push(buf.subarray(i + 8, i + 8 + len))
    i += 12 + len
  }
  return { width, height, pixels: inflateSync(Buffer.concat(idat)) }
}

describe('icons and tray images (scripts/make-icons.js)', () => {
  it.each([16, 32, 48, 64, 128, 256, 512])('resources/icons/%ix%i.png is a %i px PNG', (s) => {
    const png = readPng(`resources/icons/${s}x${s}.png`)
    expect([png.width, png.height]).toEqual([s, s])
    expect(png.pixels.length).toBe((s * 4 + 1) * s)
  })

  it('the installer icon is 1024 px; every tray image exists at 1x and 2x', () => {
    expect(readPng(config.mac.icon).width).toBe(1024)
    for (const flag of ['tray', 'tray-green', 'tray-yellow', 'tray-red', 'tray-white', 'tray-checkered']) {
      for (const name of [flag, `${flag}-nolink`]) {
        expect(readPng(`resources/tray/${name}.png`).width).toBe(16)
        expect(readPng(`resources/tray/${name}@2x.png`).width).toBe(32)
      }
    }
    expect(existsSync(file('src/renderer/public/favicon.svg'))).toBe(true)
  })

  it('a flag’s tray image is that colour at its centre', () => {
    const centre = (name: string) => {
      const { pixels } = readPng(`resources/tray/${name}@2x.png`)
      const i = 16 * (32 * 4 + 1) + 1 + 16 * 4
      return [...pixels.subarray(i, i + 4)]
    }
    const [r, g, b, a] = centre('tray-green')
    expect(a).toBe(255)
    expect(g).toBeGreaterThan(r! + 60)
    expect(g).toBeGreaterThan(b! + 60)
    const red = centre('tray-red')
    expect(red[0]).toBeGreaterThan(red[1]! + 100)
    // The 'no link' badge sits in the bottom-right corner; the plain image has the ring's edge there.
    const at = (name: string, x: number, y: number) => {
      const { pixels } = readPng(`resources/tray/${name}@2x.png`)
      const i = y * (32 * 4 + 1) + 1 + x * 4
      return [...pixels.subarray(i, i + 4)]
    }
    expect(at('tray-green-nolink', 25, 25).slice(0, 3)).toEqual([150, 0, 0])
    expect(at('tray-green', 25, 25).slice(0, 3)).not.toEqual([150, 0, 0])
  })
})
