import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Core } from '../../../src/main/core/index.ts'
import { V1Client, wsUrl } from '../../helpers/v1-client.ts'
import { ADMIN_PW, deviceOf, EmulatorProcess, PtyPair, startCore, waitUntil } from './helpers.ts'

// A Sony VISCA camera (`pitwall emulate visca`) on a socat PTY pair, driven through camera API v1
// and the camera UI API's extra controls.

let pty: PtyPair
let emu: EmulatorProcess
let core: Core
const clients: V1Client[] = []

async function admin(): Promise<V1Client> {
  const c = await V1Client.open(wsUrl(core.url))
  clients.push(c)
  expect(await c.login('admin', ADMIN_PW)).toMatchObject({ authenticated: true })
  return c
}
const controller = () => deviceOf(core).controller
const connected = () => waitUntil(() => controller().link.state === 'connected', 8000, 'link connected')
const camState = async () => (await emu.control('state')).state as Record<string, number | boolean>

beforeAll(async () => {
  pty = new PtyPair()
  await pty.start()
  emu = new EmulatorProcess('visca', pty.dev)
  await emu.waitFor((e) => e.event === 'port' && e.state === 'open', 20_000) // a cold start of the CLI on a loaded machine
  core = await startCore(`visca:${pty.app}`)
  await connected()
})
afterAll(async () => {
  for (const c of clients) c.close()
  await core?.stop()
  await emu?.stop()
  await pty?.kill()
})

describe('VISCA over a socat PTY pair', () => {
  it('runs a full session through the v1 API: mapped keys scale, the rest are "Not supported by device"', async () => {
    expect(controller().link.detail).toMatch(/VISCA camera 1, Sony model 0519, ROM 0100 on .*app@9600/)
    const a = await admin()
    const [all] = await a.request({ get: ['brightness', 'sharpness', 'auto-exposure', 'cam1-exists'] })
    expect(all).toEqual({ brightness: 50, sharpness: 53, 'auto-exposure': 'auto', 'cam1-exists': true })

    a.send({ brightness: 42, sharpness: 100, 'noise-supression': true, 'auto-white-balance': 'manual', 'cam1-light': true, record: true })
    // brightness 42 → exposure compensation step 6 → reads back 43: the model shows what the camera holds
    expect(await a.next((m) => 'info' in m)).toEqual({ brightness: 43, sharpness: 100, 'noise-supression': true, 'auto-white-balance': 'manual', info: ['brightness', 'sharpness', 'noise-supression', 'auto-white-balance'] })
    const errors = [await a.next((m) => m.key === 'cam1-light'), await a.next((m) => m.key === 'record')]
    expect(errors).toEqual([
      { error: 'Not supported by device', key: 'cam1-light', message: expect.any(String) },
      { error: 'Not supported by device', key: 'record', message: expect.any(String) },
    ])
    expect(await camState()).toMatchObject({ expComp: 6, expCompOn: true, aperture: 15, nr: 3, wbMode: 5 })

    a.send({ 'red-gain': 100, 'blue-gain': 0 })
    expect(await a.next((m) => 'info' in m)).toEqual({ 'red-gain': 100, 'blue-gain': 0, info: ['red-gain', 'blue-gain'] })
    expect(await camState()).toMatchObject({ rGain: 255, bGain: 0 })

    // gain is only executable in manual exposure: the camera says so, and the reason says what to do
    a.send({ gain: 50 })
    expect(await a.next((m) => m.key === 'gain')).toMatchObject({ error: 'Refused by device', message: expect.stringMatching(/Command not executable.*auto-exposure = "manual"/) })
    a.send({ 'auto-exposure': 'manual' })
    await a.next((m) => 'info' in m)
    a.send({ gain: 50 })
    expect(await a.next((m) => 'info' in m)).toEqual({ gain: 50, info: ['gain'] })
    expect((await camState()).gain).toBe(7)

    // a v1 value the camera has no mode for
    a.send({ 'auto-white-balance': 'cloudy' })
    expect(await a.next((m) => m.key === 'auto-white-balance')).toMatchObject({ error: 'Refused by device', message: expect.stringMatching(/Not supported by device/) })
  })

  it('offers zoom, focus and presets as extra controls', async () => {
    expect(controller().extras.map((e) => e.name)).toEqual(['power', 'zoom', 'zoom-drive', 'focus-mode', 'focus', 'focus-one-push', 'preset-recall', 'preset-store'])
    const model = (core.engines.find((e) => e.name === 'camera') as unknown as { model: { command(n: string, a: object): Promise<unknown> } }).model
    expect(await model.command('zoom', { value: 100 })).toMatchObject({ zoom: 100 })
    await model.command('preset-store', { value: 2 })
    await model.command('zoom', { value: 10 })
    expect(await model.command('preset-recall', { value: 2 })).toMatchObject({ zoom: 100, preset: 2 })
    await expect(model.command('focus', { value: 50 })).rejects.toThrow(/focus-mode = manual/)
  })

  it('changes made with the camera remote reach v1 clients through polling', async () => {
    const a = await admin()
    await emu.control('set aperture=2')
    expect(await a.next((m) => 'sharpness' in m, 8000)).toEqual({ sharpness: 13 })
  })

  it('power standby: cam1-exists follows, commands are refused with the reason', async () => {
    const a = await admin()
    const model = (core.engines.find((e) => e.name === 'camera') as unknown as { model: { command(n: string, a: object): Promise<unknown> } }).model
    await model.command('power', { value: 'standby' })
    expect(await a.next((m) => 'cam1-exists' in m)).toEqual({ 'cam1-exists': false })
    a.send({ sharpness: 20 })
    expect(await a.next((m) => m.key === 'sharpness')).toMatchObject({ error: 'Refused by device', message: expect.stringMatching(/standby/) })
    await model.command('power', { value: 'on' })
    expect(await a.next((m) => 'cam1-exists' in m)).toEqual({ 'cam1-exists': true })
  })

  it('kill the PTY pair and bring it back: detected within 2 s, reconnected and resynced', async () => {
    const a = await admin()
    const t0 = Date.now()
    await pty.kill()
    await waitUntil(() => controller().link.state !== 'connected', 2000, 'unplug detected')
    expect(Date.now() - t0).toBeLessThan(2000)
    await emu.control('set nr=0')
    await pty.start()
    await connected()
    expect(await a.next((m) => 'noise-supression' in m, 5000)).toEqual({ 'noise-supression': false })
  })

  it('power-up network change: the driver re-runs AddressSet and resyncs', async () => {
    const a = await admin()
    await emu.control('set aeMode=11')
    await emu.control('reboot')
    expect(await a.next((m) => 'auto-exposure' in m, 5000)).toEqual({ 'auto-exposure': 'iris' })
    expect(controller().traffic.recent().some((e) => /network change/.test(e.text))).toBe(true)
  })
})

describe('VISCA emulator faults, end to end', () => {
  it('garbage and corrupt: writes still confirm', async () => {
    const a = await admin()
    for (const fault of ['garbage', 'corrupt']) {
      await emu.control(`fault ${fault}`)
      a.send({ sharpness: fault === 'garbage' ? 20 : 27 })
      expect(await a.next((m) => 'info' in m)).toEqual({ sharpness: fault === 'garbage' ? 20 : 27, info: ['sharpness'] })
    }
    await emu.control('fault none')
  })

  it('nak: "Command not executable" per key', async () => {
    const a = await admin()
    await emu.control('fault nak')
    a.send({ sharpness: 33 })
    expect(await a.next((m) => m.key === 'sharpness')).toMatchObject({ error: 'Refused by device', message: expect.stringMatching(/Command not executable/) })
    await emu.control('fault none')
  })

  it('slow: late answers time out per key without losing the link for good', async () => {
    const a = await admin()
    await emu.control('fault slow 700')
    a.send({ sharpness: 40 })
    expect(await a.next((m) => m.key === 'sharpness' || 'info' in m, 5000)).toMatchObject({ key: 'sharpness', message: expect.stringMatching(/did not answer/) })
    await emu.control('fault none')
    await connected()
  })

  it('silent and unplug: the heartbeat drops the link within 2 s; clearing the fault reconnects', async () => {
    for (const [on, off] of [
      ['fault silent', 'fault none'],
      ['unplug', 'plug'],
    ]) {
      await connected()
      const t0 = Date.now()
      await emu.control(on!)
      await waitUntil(() => controller().link.state !== 'connected', 2500, `${on} detected`)
      expect(Date.now() - t0).toBeLessThan(2000)
      await emu.control(off!)
      await connected()
    }
  })
})
