import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { LinkStatus } from '../../../src/main/camera/controller.ts'
import { DeviceController } from '../../../src/main/device/controller.ts'
import { parseDeviceSource } from '../../../src/main/device/source.ts'
import { matchesUsbId } from '../../../src/main/device/source.ts'

const log = pino({ level: 'silent' })
let cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const f of cleanup.reverse()) await f()
  cleanup = []
})

const fast = { pingIntervalMs: 50, deadAfterMs: 300, answerTimeoutMs: 60, backoffMinMs: 20, backoffMaxMs: 100 }

function sim() {
  const c = new DeviceController({ source: 'sim', log, hotplug: false, timings: fast })
  cleanup.push(() => c.close())
  return c
}

const waitLink = (c: DeviceController, state: LinkStatus['state']) =>
  c.link.state === state ? Promise.resolve(c.link) : new Promise<LinkStatus>((r) => c.on('link', function f(l) { if (l.state === state) { c.off('link', f); r(l) } }))

describe('device source spec', () => {
  it.each([
    ['sim', { kind: 'sim' }],
    ['auto', { kind: 'auto' }],
    ['pcp:/dev/ttyUSB0', { kind: 'pcp', path: '/dev/ttyUSB0', baudRate: 115200 }],
    ['visca:/dev/ttyUSB1', { kind: 'visca', path: '/dev/ttyUSB1', baudRate: 9600 }],
    ['visca:COM3@38400', { kind: 'visca', path: 'COM3', baudRate: 38400 }],
  ])('parses %s', (spec, expected) => expect(parseDeviceSource(spec)).toEqual(expected))

  it.each([
    ['serial:/dev/x', /must be sim, auto/],
    ['pcp:', /must be sim, auto/],
    ['pcp:/dev/x@12345', /baud rate 12345/],
    ['pcp:@9600', /no port path/],
  ])('refuses %s', (spec, msg) => expect(() => parseDeviceSource(spec)).toThrow(msg))

  it('matches USB ids case-insensitively, with wildcards', () => {
    expect(matchesUsbId({ vendorId: '10C4', productId: 'EA60' }, ['10c4:ea60'])).toBe(true)
    expect(matchesUsbId({ vendorId: '0403', productId: '6015' }, ['0403:*'])).toBe(true)
    expect(matchesUsbId({ vendorId: '0403' }, ['0403:*'])).toBe(false)
  })
})

describe('DeviceController on the simulated controller', () => {
  it('connects, resyncs the full state, writes and hears button presses', async () => {
    const c = sim()
    await c.connect()
    expect(c.link.state).toBe('connected')
    expect(c.link.detail).toMatch(/PCP 1, pitwall-sim/)
    expect(Object.keys(await c.readAll())).toHaveLength(23)
    expect(c.capabilities.size).toBe(23)
    expect((await c.apply({ brightness: 80 })).brightness).toEqual({ ok: true, value: 80 })
    const ev = new Promise((r) => c.once('change', r))
    c.simDevice.press('light2')
    expect(await ev).toEqual({ 'cam2-light': true })
  })

  it('detects an unplug, fails what is in flight, reconnects when plugged back and resyncs', async () => {
    const c = sim()
    await c.connect()
    c.simDevice.fault = { kind: 'silent' }
    const inflight = c.apply({ contrast: 1 })
    c.setSimPlugged(false)
    await waitLink(c, 'disconnected')
    await expect(inflight).rejects.toThrow(/disconnected|closed/i)
    await expect(c.apply({ contrast: 2 })).rejects.toThrow(/Device not connected/)
    expect(c.status()).toMatchObject({ port: null, device: null })
    c.simDevice.fault = { kind: 'none' }
    c.simDevice.setLocal({ gain: 66 }) // changed while unplugged: nobody heard it
    c.setSimPlugged(true)
    await waitLink(c, 'connected')
    expect((await c.readAll()).gain).toBe(66)
    expect(c.status().reconnects).toBe(1)
  })

  it('notices a device that stops answering (no close event) through the heartbeat', async () => {
    const c = sim()
    await c.connect()
    c.simDevice.fault = { kind: 'silent' }
    const l = await waitLink(c, 'disconnected')
    expect(l.detail).toMatch(/stopped answering/)
    c.simDevice.fault = { kind: 'none' }
    await waitLink(c, 'connected')
  })

  it('stays connected through slow answers within the heartbeat window', async () => {
    const c = new DeviceController({ source: 'sim', log, hotplug: false, timings: { ...fast, answerTimeoutMs: 400, deadAfterMs: 1000 } })
    cleanup.push(() => c.close())
    await c.connect()
    c.simDevice.fault = { kind: 'slow', delayMs: 150 }
    expect((await c.apply({ fps: 25 })).fps).toEqual({ ok: true, value: 25 })
    expect(c.link.state).toBe('connected')
  })

  it('switches source at runtime and reports a port that cannot be opened', async () => {
    const c = sim()
    await c.connect()
    await c.setSource('pcp:/nonexistent/tty')
    expect(c.link.state).toBe('disconnected')
    expect(c.link.detail).toMatch(/cannot open \/nonexistent\/tty/)
    expect(c.status().source).toBe('pcp:/nonexistent/tty@115200')
    await c.setSource('sim')
    expect(c.link.state).toBe('connected')
  })

  it('close() does not wait for a handshake with a silent device', async () => {
    const c = new DeviceController({ source: 'sim', log, hotplug: false, timings: { ...fast, answerTimeoutMs: 60_000, handshakeTimeoutMs: 120_000 } })
    c.simDevice.fault = { kind: 'silent' }
    const connecting = c.connect()
    await new Promise((r) => setTimeout(r, 50))
    await c.close() // would wait 60 s (and fail the test by its timeout) if the handshake were not aborted
    await connecting
    expect(c.link.state).toBe('disconnected')
  })

  it('never hangs on a port whose open never completes', async () => {
    const binding = { list: async () => [], open: () => new Promise<never>(() => {}) }
    const c = new DeviceController({ source: 'pcp:/dev/wedged', log, binding, hotplug: false, timings: { ...fast, handshakeTimeoutMs: 100 } })
    cleanup.push(() => c.close())
    await c.connect()
    expect(c.link).toEqual({ state: 'disconnected', detail: 'cannot open /dev/wedged: open took longer than 100 ms' })
  })

  it('keeps a bounded traffic log with decoded frames', async () => {
    const c = new DeviceController({ source: 'sim', log, hotplug: false, timings: fast, trafficSize: 20 })
    cleanup.push(() => c.close())
    await c.connect()
    for (let i = 0; i < 30; i++) await c.apply({ brightness: i })
    const recent = c.traffic.recent()
    expect(recent).toHaveLength(20)
    expect(recent.some((e) => e.dir === 'tx' && /SET brightness=29/.test(e.text))).toBe(true)
  })
})

describe('USB hotplug', () => {
  it('an attach rescans at once (debounced) instead of waiting out the backoff; listeners are unref\'d and removed on close', async () => {
    const { EventEmitter } = await import('node:events')
    const { MockBinding, mockBindingWithDevices } = await import('../../helpers/mock-serial.ts')
    const { PcpEmulator } = await import('../../../src/main/device/emulators/pcp-emulator.ts')
    MockBinding.reset()
    const usb = Object.assign(new EventEmitter(), { unrefs: 0, unrefHotplugEvents() { this.unrefs++ } })
    const emu = new PcpEmulator()
    const binding = mockBindingWithDevices((dev) => emu.attach(dev))
    const c = new DeviceController({ source: 'auto', log, binding, usb: async () => usb, hotplugDebounceMs: 30, timings: { ...fast, backoffMinMs: 60_000, backoffMaxMs: 60_000 } })
    cleanup.push(() => emu.stop())
    await c.connect()
    expect(c.link.state).toBe('disconnected') // nothing plugged in; next retry in 60 s
    expect(usb.listenerCount('attach')).toBe(1)
    expect(usb.unrefs).toBe(1)
    MockBinding.createPort('/dev/ttyUSB7', { vendorId: '0403', productId: '6001' }) // an FTDI adapter appears
    usb.emit('attach')
    usb.emit('attach') // one rescan for a burst
    await waitLink(c, 'connected')
    expect(c.status().port).toBe('/dev/ttyUSB7@115200')
    await c.close()
    expect(usb.listenerCount('attach') + usb.listenerCount('detach')).toBe(0)
  })

  it('runs without hotplug when libusb cannot start', async () => {
    const c = new DeviceController({ source: 'pcp:/nonexistent', log, usb: async () => ({ INIT_ERROR: -99, on() {}, off() {}, unrefHotplugEvents() {} }), timings: fast })
    cleanup.push(() => c.close())
    await c.connect()
    expect(c.status().hotplug).toBe(false)
  })
})
