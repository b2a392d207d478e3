import type { DeviceEvent, DeviceTrafficEntry } from '../../shared/ui-api/camera.ts'
import { ConfigError } from '../config/index.ts'
import type { CoreContext, Engine, EngineStatus } from '../core/engine.ts'
import { UiError } from '../uiapi/index.ts'
import { DeviceController } from './controller.ts'
import { DeviceSourceError } from './source.ts'
import { KNOWN_USB_IDS, matchesUsbId } from './source.ts'
import { listSerialPorts } from './transport/serial.ts'

export interface DeviceEngine extends Engine {
  readonly controller: DeviceController
}

/**
 * The device room in the running app: one DeviceController for config.device.source (the camera
 * model drives it through the CameraController interface), its status in /api/status, and the
 * Device page's UI API (device.*). The camera engine connects and closes the controller; this
 * engine only reports on it.
 */
export function createDeviceEngine(ctx: CoreContext): DeviceEngine {
  const log = ctx.log.child({ area: 'device' })
  const cfg = ctx.config.device
  let controller: DeviceController
  try {
    controller = new DeviceController({ source: cfg.source, usbIds: cfg.usbIds, log, simDriftMs: ctx.config.camera.simDriftMs })
  } catch (err) {
    // A bad --device / device.source is a configuration error: one line, exit code 2 from `serve`.
    if (err instanceof DeviceSourceError) throw new ConfigError(`device.source: ${err.message}`)
    throw err
  }
  let started = false

  const status = (): EngineStatus => {
    const s = controller.status()
    const state = !started ? 'stopped' : s.link.state === 'connected' ? 'running' : 'degraded'
    return { state, detail: `${s.source}: ${s.link.state} (${s.link.detail})`, source: s.source, protocol: s.protocol, port: s.port, link: s.link, reconnects: s.reconnects }
  }
  const onStatus = () => ctx.events.emit('engine.state', 'device', status())

  registerDeviceUiApi(ctx, controller)

  return {
    name: 'device',
    controller,
    async start() {
      started = true
      controller.side.on('status', onStatus)
    },
    async stop() {
      controller.side.off('status', onStatus)
      started = false
    },
    status,
  }
}

function registerDeviceUiApi(ctx: CoreContext, c: DeviceController): void {
  const ui = ctx.ui
  ui.handle('device.status', 'Device_r', () => c.status())
  ui.handle('device.setSource', 'Device_rw', async ({ source }) => {
    try {
      await c.setSource(source)
    } catch (err) {
      if (err instanceof DeviceSourceError) throw new UiError('invalid_params', err.message)
      throw err
    }
    return c.status()
  })
  ui.handle('device.ports', 'Device_r', async () => {
    try {
      const ports = await listSerialPorts()
      const ids = [...KNOWN_USB_IDS, ...ctx.config.device.usbIds]
      return ports.map((p) => ({ path: p.path, manufacturer: p.manufacturer, vendorId: p.vendorId, productId: p.productId, known: matchesUsbId(p, ids) }))
    } catch (err) {
      throw new UiError('unavailable', `Cannot list serial ports: ${(err as Error).message}`)
    }
  })
  ui.handle('device.traffic', 'Device_r', ({ limit }) => c.traffic.recent(limit))
  ui.handle('device.sim', 'Device_rw', (p) => {
    if (c.source.kind !== 'sim') throw new UiError('conflict', 'The emulator controls work only while the source is "sim"')
    const emu = c.simDevice
    switch (p.action) {
      case 'press':
        emu.press(p.button)
        break
      case 'fault':
        emu.fault = { kind: p.fault, delayMs: p.delayMs }
        break
      case 'unplug':
      case 'plug':
        c.setSimPlugged(p.action === 'plug')
        break
      case 'reboot':
        emu.reboot()
        break
    }
    return c.status()
  })
  ui.handle('device.extras', 'Device_r', async () => {
    if (c.kind !== 'visca' || c.link.state !== 'connected') return { values: null }
    try {
      return { values: (await c.command('status', {})) as Record<string, unknown> }
    } catch (err) {
      throw new UiError('unavailable', (err as Error).message)
    }
  })
  ui.topic('device', 'Device_r', (_p, _ctx, emit) => {
    emit({ type: 'status', status: c.status() })
    emit({ type: 'traffic', entries: c.traffic.recent() })
    // Traffic can be dense (a heartbeat every 400 ms, floods under faults): batch per 100 ms.
    let batch: DeviceTrafficEntry[] = []
    let timer: NodeJS.Timeout | undefined
    const offTraffic = c.traffic.subscribe((e) => {
      batch.push(e)
      if (batch.length > 500) batch = batch.slice(-500)
      timer ??= setTimeout(() => {
        timer = undefined
        const entries = batch
        batch = []
        emit({ type: 'traffic', entries } satisfies DeviceEvent)
      }, 100)
    })
    const onStatus = (status: ReturnType<DeviceController['status']>) => emit({ type: 'status', status })
    c.side.on('status', onStatus)
    return () => {
      offTraffic()
      clearTimeout(timer)
      c.side.off('status', onStatus)
    }
  })
}
