import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeviceController } from '../../../src/main/device/controller.ts'
import { PcpEmulator } from '../../../src/main/device/emulators/pcp-emulator.ts'
import { ViscaEmulator } from '../../../src/main/device/emulators/visca-emulator.ts'
import { PcpSession } from '../../../src/main/device/pcp/driver.ts'
import { SerialTransport } from '../../../src/main/device/transport/serial.ts'
import { ViscaSession } from '../../../src/main/device/visca/driver.ts'
import { MockBinding, type MockDeviceSide, mockBindingWithDevices } from '../../helpers/mock-serial.ts'

const log = pino({ level: 'silent' })
let cleanup: Array<() => unknown> = []
beforeEach(() => MockBinding.reset())
afterEach(async () => {
  for (const f of cleanup.reverse()) await f()
  cleanup = []
})

describe('drivers over serialport with @serialport/binding-mock', () => {
  it('PCP: handshake, write and a button event, with the device answering 3 bytes at a time', async () => {
    MockBinding.createPort('/dev/ttyMOCK0')
    const emu = new PcpEmulator()
    const binding = mockBindingWithDevices((dev) => emu.attach(dev), 3)
    const t = await SerialTransport.open({ path: '/dev/ttyMOCK0', baudRate: 115200, binding })
    const s = new PcpSession(t, { answerTimeoutMs: 300 })
    cleanup.push(() => s.close(new Error('end')), () => t.close(), () => emu.stop())
    expect((await s.handshake()).summary).toMatch(/PCP 1/)
    expect((await s.apply({ 'jpeg-quality': 90 }))['jpeg-quality']).toEqual({ ok: true, value: 90 })
    const change = new Promise((r) => s.once('change', r))
    emu.press('record')
    expect(await change).toEqual({ record: 'on' })
  })

  it('VISCA: handshake and writes with replies split into single bytes', async () => {
    MockBinding.createPort('/dev/ttyMOCK1')
    const cam = new ViscaEmulator()
    const binding = mockBindingWithDevices((dev) => cam.attach(dev), 1)
    const t = await SerialTransport.open({ path: '/dev/ttyMOCK1', baudRate: 9600, binding })
    const s = new ViscaSession(t)
    cleanup.push(() => s.close(new Error('end')), () => t.close(), () => cam.stop())
    await s.handshake()
    expect((await s.apply({ 'auto-white-balance': 'manual', 'red-gain': 100 }))['red-gain']).toEqual({ ok: true, value: 100 })
  })

  it('an I/O error on the port closes the transport with a disconnect and fails the command', async () => {
    MockBinding.createPort('/dev/ttyMOCK2')
    const emu = new PcpEmulator()
    let device: MockDeviceSide | undefined
    const binding = mockBindingWithDevices((dev) => {
      device = dev
      emu.attach(dev)
    })
    const t = await SerialTransport.open({ path: '/dev/ttyMOCK2', baudRate: 115200, binding })
    const s = new PcpSession(t, { answerTimeoutMs: 2000 })
    cleanup.push(() => t.close(), () => emu.stop())
    await s.handshake()
    emu.fault = { kind: 'silent' }
    const p = s.apply({ brightness: 9 })
    const closed = new Promise<Error | null>((r) => t.once('close', r))
    device!.yank()
    expect((await closed)?.name).toBe('DisconnectedError')
    await expect(p).rejects.toThrow(/disconnected/i)
  })

  it('auto picks the port with a known USB id and the protocol that answers', async () => {
    MockBinding.createPort('/dev/ttyS0') // no USB id: never probed
    MockBinding.createPort('/dev/ttyUSB0', { vendorId: '1A86', productId: '7523' })
    const cam = new ViscaEmulator()
    const probed: string[] = []
    const binding = mockBindingWithDevices((dev, path, baud) => {
      probed.push(`${path}@${baud}`)
      if (baud === 9600) cam.attach(dev) // a VISCA camera: PCP at 115200 gets no answer
    })
    const c = new DeviceController({ source: 'auto', log, binding, hotplug: false, timings: { answerTimeoutMs: 100 } })
    cleanup.push(() => c.close(), () => cam.stop())
    await c.connect()
    expect(c.link.state).toBe('connected')
    expect(c.kind).toBe('visca')
    expect(probed).toEqual(['/dev/ttyUSB0@115200', '/dev/ttyUSB0@9600'])
    expect(c.status().port).toBe('/dev/ttyUSB0@9600')
  })

  it('auto says precisely why nothing was found', async () => {
    MockBinding.createPort('/dev/ttyS0')
    const c = new DeviceController({ source: 'auto', log, binding: mockBindingWithDevices(() => {}), hotplug: false })
    cleanup.push(() => c.close())
    await c.connect()
    expect(c.link).toEqual({ state: 'disconnected', detail: 'no controller found (1 serial port(s), none with a known USB id)' })
  })

  it('auto accepts extra ids from config.device.usbIds', async () => {
    MockBinding.createPort('/dev/ttyACM0', { vendorId: '2341', productId: '0043' }) // Arduino Uno
    const emu = new PcpEmulator()
    const binding = mockBindingWithDevices((dev, _p, baud) => baud === 115200 && emu.attach(dev))
    const c = new DeviceController({ source: 'auto', log, binding, hotplug: false, usbIds: ['2341:0043'] })
    cleanup.push(() => c.close(), () => emu.stop())
    await c.connect()
    expect(c.link.state).toBe('connected')
    expect(c.kind).toBe('pcp')
  })
})
