import { MockBinding, type MockPortBinding } from '@serialport/binding-mock'
import { BaseTransport } from '../../src/main/device/transport/transport.ts'

/**
 * The device side of a @serialport/binding-mock port (binding-mock has none: serialport#2734).
 * Host writes arrive as 'data' here; writes here are fed to the host with emitData, optionally cut
 * into small chunks to exercise split frames.
 */
export class MockDeviceSide extends BaseTransport {
  readonly description: string
  #port: MockPortBinding
  #chunk: number

  constructor(port: MockPortBinding, chunk = 0) {
    super()
    this.#port = port
    this.#chunk = chunk
    this.description = `mock device ${port.openOptions.path}`
    const write = port.write.bind(port)
    port.write = async (buffer: Buffer) => {
      await write(buffer)
      const copy = Buffer.from(buffer)
      setImmediate(() => this.isOpen && this.emit('data', copy))
    }
  }

  protected writeBytes(bytes: Uint8Array): void {
    if (!this.#port.isOpen) return
    const buf = Buffer.from(bytes)
    if (!this.#chunk) return this.#port.emitData(buf)
    for (let i = 0; i < buf.length; i += this.#chunk) this.#port.emitData(buf.subarray(i, i + this.#chunk))
  }

  protected closeUnderlying(): void {}

  /** Pulls the cable: the host's pending read fails with an I/O error (→ serialport's disconnect path). */
  yank(): void {
    const port = this.#port as unknown as { pendingRead: ((err?: Error) => void) | null; read: MockPortBinding['read'] }
    port.read = () => Promise.reject(Object.assign(new Error('EIO: device unplugged'), { code: 'EIO' }))
    const pending = port.pendingRead
    port.pendingRead = null
    pending?.(Object.assign(new Error('EIO: device unplugged'), { code: 'EIO' }))
    this.close()
  }
}

/**
 * A binding that behaves like MockBinding, but calls `onOpen` with the device side of every port
 * it opens (so an emulator can be attached each time the controller (re)opens the port).
 */
export function mockBindingWithDevices(onOpen: (device: MockDeviceSide, path: string, baudRate: number) => void, chunk = 0) {
  return {
    list: () => MockBinding.list(),
    async open(options: Parameters<typeof MockBinding.open>[0]) {
      const port = await MockBinding.open(options)
      onOpen(new MockDeviceSide(port, chunk), options.path, options.baudRate)
      return port
    },
  }
}

export { MockBinding }
