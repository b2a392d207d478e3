import { afterEach, describe, expect, it } from 'vitest'
import { ViscaEmulator } from '../../../src/main/device/emulators/visca-emulator.ts'
import type { TrafficEntry } from '../../../src/main/device/session.ts'
import { memoryPair } from '../../../src/main/device/transport/memory.ts'
import { ViscaSession } from '../../../src/main/device/visca/driver.ts'

let cleanup: Array<() => void> = []
afterEach(() => {
  for (const f of cleanup) f()
  cleanup = []
})

async function setup(opts: { answerTimeoutMs?: number; handshake?: boolean } = {}) {
  const [host, dev] = memoryPair()
  const cam = new ViscaEmulator()
  cam.attach(dev)
  const session = new ViscaSession(host, { answerTimeoutMs: opts.answerTimeoutMs ?? 150 })
  const traffic: TrafficEntry[] = []
  session.on('traffic', (e) => traffic.push(e))
  cleanup.push(() => {
    session.close(new Error('test over'))
    cam.stop()
    host.close()
  })
  if (opts.handshake !== false) await session.handshake()
  return { host, dev, cam, session, traffic }
}

describe('VISCA session against the emulator', () => {
  it('runs AddressSet, IF_Clear, version inquiry and reads every mapped key', async () => {
    const { session, traffic } = await setup({ handshake: false })
    const info = await session.handshake()
    expect(info.summary).toMatch(/VISCA camera 1, Sony model 0519/)
    expect(traffic.filter((e) => e.dir === 'tx').slice(0, 3).map((e) => e.raw)).toEqual(['88 30 01 FF', '88 01 00 01 FF', '81 09 00 02 FF'])
    const all = await session.readAll()
    expect(all).toEqual({
      'cam1-exists': true,
      brightness: 50,
      gain: 0,
      'red-gain': 50,
      'blue-gain': 50,
      sharpness: 53,
      'auto-exposure': 'auto',
      'auto-white-balance': 'auto',
      'noise-supression': false,
    })
  })

  it('applies mapped keys, reads them back, and refuses the rest per key', async () => {
    const { session, cam } = await setup()
    const r = await session.apply({ brightness: 42, sharpness: 100, 'noise-supression': true, 'cam1-light': true, record: 'on', 'auto-white-balance': 'cloudy' })
    expect(r.brightness).toEqual({ ok: true, value: 43 })
    expect(cam.state.expComp).toBe(6)
    expect(cam.state.expCompOn).toBe(true)
    expect(r.sharpness).toEqual({ ok: true, value: 100 })
    expect(r['noise-supression']).toEqual({ ok: true, value: true })
    expect(r['cam1-light']).toEqual({ ok: false, reason: 'Not supported by device' })
    expect(r.record).toEqual({ ok: false, reason: 'Not supported by device' })
    expect(r['auto-white-balance']).toMatchObject({ ok: false, reason: expect.stringMatching(/Not supported by device/) })
  })

  it('explains "not executable" with what must change first', async () => {
    const { session } = await setup()
    const r = await session.apply({ gain: 50 })
    expect(r.gain).toEqual({ ok: false, reason: expect.stringMatching(/Command not executable.*auto-exposure = "manual"/) })
    const r2 = await session.apply({ 'auto-exposure': 'manual', gain: 50 })
    expect(r2.gain).toEqual({ ok: true, value: 50 })
    const r3 = await session.apply({ 'red-gain': 10 })
    expect(r3['red-gain']).toMatchObject({ ok: false, reason: expect.stringMatching(/auto-white-balance = "manual"/) })
  })

  it('runs the extras: zoom, focus, presets, power', async () => {
    const { session, cam } = await setup()
    expect(await session.command('zoom', { value: 100 })).toMatchObject({ zoom: 100 })
    await expect(session.command('focus', { value: 50 })).rejects.toThrow(/focus-mode = manual/)
    await session.command('focus-mode', { value: 'manual' })
    expect(await session.command('focus', { value: 50 })).toMatchObject({ focus: 50, 'focus-mode': 'manual' })
    await session.command('preset-store', { value: 3 })
    await session.command('zoom', { value: 0 })
    expect(cam.state.zoom).toBe(0)
    expect(await session.command('preset-recall', { value: 3 })).toMatchObject({ zoom: 100, preset: 3 })
    await expect(session.command('zoom', { value: 101 })).rejects.toThrow(/0 to 100/)
    await expect(session.command('pan', {})).rejects.toThrow(/no extra control/)
    await session.command('power', { value: 'standby' })
    const r = await session.apply({ sharpness: 10 })
    expect(r.sharpness).toMatchObject({ ok: false, reason: expect.stringMatching(/standby/) })
  })

  it('keeps two commands in the camera at once and completes them out of order', async () => {
    const { session, traffic } = await setup()
    const slow = session.command('zoom', { value: 100 }) // long lens move in socket 1
    const fast = session.apply({ sharpness: 20 }) // socket 2, completes first
    expect((await fast).sharpness).toMatchObject({ ok: true })
    await slow
    expect(traffic.some((e) => e.text === 'ACK socket 2 (sharpness=20)')).toBe(true)
  })

  it('ignores a completion for an empty socket (corrupt fault)', async () => {
    const { session, cam, traffic } = await setup()
    cam.fault = { kind: 'corrupt' }
    const r = await session.apply({ sharpness: 40 })
    expect(r.sharpness).toEqual({ ok: true, value: 40 })
    expect(traffic.some((e) => /holds no command|no inquiry waiting/.test(e.text))).toBe(true)
  })

  it('survives noise before every reply (garbage fault)', async () => {
    const { session, cam, traffic } = await setup()
    cam.fault = { kind: 'garbage' }
    const r = await session.apply({ 'auto-exposure': 'iris' })
    expect(r['auto-exposure']).toEqual({ ok: true, value: 'iris' })
    expect(traffic.some((e) => e.dir === 'error')).toBe(true)
  })

  it('fails with a timeout when the camera is silent, and with "not executable" on the nak fault', async () => {
    const { session, cam } = await setup({ answerTimeoutMs: 40 })
    cam.fault = { kind: 'silent' }
    expect((await session.apply({ sharpness: 1 })).sharpness).toEqual({ ok: false, reason: 'Camera did not answer sharpness=1 within 40 ms' })
    cam.fault = { kind: 'nak' }
    expect((await session.apply({ sharpness: 2 })).sharpness).toMatchObject({ ok: false, reason: expect.stringMatching(/Command not executable/) })
  })

  it('notices changes made with the camera remote on the next polls', async () => {
    const { session, cam } = await setup()
    cam.remote({ wbMode: 0x01 })
    const changes: unknown[] = []
    session.on('change', (c) => changes.push(c))
    for (let i = 0; i < 9; i++) await session.ping()
    expect(changes).toContainEqual({ 'auto-white-balance': 'tungsten' })
  })

  it('re-initialises after a network change and reports what changed', async () => {
    const { session, cam } = await setup()
    const change = new Promise((r) => session.once('change', r))
    cam.remote({ aperture: 0 })
    cam.powerCycle()
    expect(await change).toEqual({ sharpness: 0 })
  })

  it('fails everything in flight when the line closes', async () => {
    const { session, cam, dev } = await setup({ answerTimeoutMs: 1000 })
    cam.fault = { kind: 'silent' }
    const p = session.apply({ sharpness: 5 })
    setTimeout(() => dev.close(new Error('unplugged')), 10)
    await expect(p).rejects.toThrow(/disconnected/i)
  })

  it('answers a syntax error for an unknown inquiry and a length error for an over-long packet (emulator)', async () => {
    const { host, traffic } = await setup()
    host.write(Uint8Array.from([0x81, 0x09, 0x04, 0x77, 0xff]))
    host.write(Uint8Array.from([0x81, ...new Array(16).fill(0x01), 0xff]))
    await new Promise((r) => setTimeout(r, 30))
    const errors = traffic.filter((e) => e.dir === 'rx').map((e) => e.raw)
    expect(errors).toContain('90 60 02 FF')
    expect(errors).toContain('90 60 01 FF')
  })
})
