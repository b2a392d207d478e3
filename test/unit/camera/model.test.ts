import { describe, expect, it } from 'vitest'
import { CameraModel } from '../../../src/main/camera/model.ts'
import { SimController } from '../../../src/main/camera/sim-controller.ts'
import { silentLogger } from '../../../src/main/log/index.ts'
import { Store } from '../../../src/main/store/index.ts'
import { CAMERA_KEY_NAMES, type CameraChanges } from '../../../src/shared/camera-keys.ts'

const ALL = ['Device_r', 'Device_rw', 'Media_r', 'Media_rw'] as const

async function make(sim = new SimController({ ackDelayMs: 1 }), store = new Store(':memory:', silentLogger())) {
  const model = new CameraModel({ controller: sim, store, log: silentLogger(), timeoutMs: 100 })
  const changes: CameraChanges[] = []
  model.on('change', (c) => changes.push(c))
  await model.start()
  return { model, sim, store, changes }
}

describe('camera model', () => {
  it('confirms and emits only what the controller accepted, once, after beforeBroadcast', async () => {
    const { model, sim, changes } = await make()
    sim.refusals.set('contrast', 'nope')
    const order: string[] = []
    model.once('change', () => order.push('change'))
    const o = await model.write({ brightness: 70, contrast: 20 }, ALL, () => order.push('confirm'))
    expect(order).toEqual(['confirm', 'change'])
    expect(o.applied).toEqual({ brightness: 70 })
    expect(o.failed).toEqual([{ error: 'Refused by device', key: 'contrast', message: 'nope' }])
    expect(changes).toEqual([{ brightness: 70 }])
    expect(model.state.contrast).toBe(50)
    await model.stop()
  })

  it('times out per key, aborts the controller call and changes nothing', async () => {
    const { model, sim, changes } = await make()
    sim.fault = 'no-answer'
    const o = await model.write({ brightness: 1 }, ALL)
    expect(o.failed).toEqual([{ error: 'Device timeout', key: 'brightness', message: 'The device did not answer within 100 ms' }])
    expect(changes).toEqual([])
    expect(model.state.brightness).toBe(50)
    await model.stop()
  })

  it('answers keys the device cannot do with "Not supported by device"', async () => {
    const sim = new SimController({ ackDelayMs: 1, capabilities: CAMERA_KEY_NAMES.filter((k) => k !== 'cam1-light' && k !== 'cam2-light') })
    const { model } = await make(sim)
    const o = await model.write({ 'cam1-light': true, gain: 3 }, ALL)
    expect(o.rejected).toEqual([{ error: 'Not supported by device', key: 'cam1-light', message: 'The sim controller cannot set cam1-light' }])
    expect(o.applied).toEqual({ gain: 3 })
    await model.stop()
  })

  it('ignores invalid values reported by a device and applies the valid ones', async () => {
    const { model, sim, changes } = await make()
    sim.emit('change', { brightness: 500, contrast: 10, bogus: 1, snap: true } as unknown as CameraChanges)
    expect(changes).toEqual([{ contrast: 10 }])
    await model.stop()
  })

  it('restores stored settings to a device that does not keep its own', async () => {
    const store = new Store(':memory:', silentLogger())
    const first = await make(undefined, store)
    await first.model.write({ brightness: 21, 'pip-mode': 'side-by-side', record: true }, ALL)
    await first.model.stop()
    const sim = new SimController({ ackDelayMs: 1 })
    const second = await make(sim, store)
    expect(sim.state).toMatchObject({ brightness: 21, 'pip-mode': 'side-by-side', record: 'off' })
    expect(second.model.state).toMatchObject({ brightness: 21, 'pip-mode': 'side-by-side', record: 'off' })
    await second.model.stop()
  })

  it('reads back a device that keeps its own settings instead of restoring', async () => {
    const store = new Store(':memory:', silentLogger())
    const first = await make(undefined, store)
    await first.model.write({ brightness: 21 }, ALL)
    await first.model.stop()
    const sim = new SimController({ ackDelayMs: 1, reportsState: true, initial: { brightness: 64, 'cam2-exists': false } })
    const second = await make(sim, store)
    expect(sim.received).toEqual([]) // nothing was written to it
    expect(second.model.state).toMatchObject({ brightness: 64, 'cam2-exists': false })
    await second.model.stop()
  })

  it('resyncs when the link comes back: reads back a device that keeps its settings', async () => {
    const { model, sim, changes } = await make(new SimController({ ackDelayMs: 1, reportsState: true }))
    sim.unplug()
    ;(sim.state as { gain: number }).gain = 77 // changed on the device while the link was down
    sim.replug()
    await expect.poll(() => model.state.gain).toBe(77)
    expect(changes.at(-1)).toEqual({ gain: 77 })
    await model.stop()
  })

  it('resyncs when the link comes back: restores a device that forgot its settings', async () => {
    const { model, sim } = await make()
    await model.write({ gain: 12 }, ALL)
    sim.unplug()
    ;(sim.state as { gain: number }).gain = 0 // power-cycled
    sim.replug()
    await expect.poll(() => sim.state.gain).toBe(12)
    expect(model.state.gain).toBe(12)
    await model.stop()
  })
})

describe('camera model start', () => {
  it('survives a controller that fails to connect: link down, writes answered "Device unavailable"', async () => {
    const sim = new SimController({ ackDelayMs: 1 })
    sim.connect = async () => {
      throw new Error('no such port /dev/ttyUSB9')
    }
    const model = new CameraModel({ controller: sim, store: new Store(':memory:', silentLogger()), log: silentLogger(), timeoutMs: 100 })
    await model.start()
    expect(model.link.state).toBe('disconnected')
    const o = await model.write({ brightness: 5 }, ALL)
    expect(o.failed).toEqual([{ error: 'Device unavailable', key: 'brightness', message: 'Device not connected' }])
    await model.stop()
  })
})
