import type { SerialPort } from 'serialport'
import { BaseTransport, DisconnectedError } from './transport.ts'

/** What SerialPort.list() reports per port (vendorId/productId are hex strings). */
export interface PortInfo {
  path: string
  manufacturer?: string
  serialNumber?: string
  pnpId?: string
  vendorId?: string
  productId?: string
}

/** A serialport binding (the platform one, or @serialport/binding-mock's MockBinding in tests). */
export interface BindingInterface {
  list(): Promise<PortInfo[]>
}

export interface SerialOptions {
  path: string
  baudRate: number
  /** Injected binding (tests pass @serialport/binding-mock); the platform binding otherwise. */
  binding?: BindingInterface
}

/** Loaded lazily: the native binding is only needed when real hardware is used. */
async function serialportModule(): Promise<typeof import('serialport')> {
  return import('serialport')
}

async function platformBinding(): Promise<BindingInterface> {
  return (await serialportModule()).SerialPort.binding as unknown as BindingInterface
}

/** Lists serial ports (PTYs are never listed on Linux: tests pass paths). */
export async function listSerialPorts(binding?: BindingInterface): Promise<PortInfo[]> {
  return (binding ?? (await platformBinding())).list()
}

/** A serial port as a Transport: 8N1, no flow control. The close reason is a DisconnectedError on unplug. */
export class SerialTransport extends BaseTransport {
  readonly description: string
  #port: SerialPort

  private constructor(port: SerialPort, description: string) {
    super()
    this.#port = port
    this.description = description
    // close first, so an unplug is never missed (serialport emits close(DisconnectedError) on IO failure).
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (!this.isOpen) return
      super.close(err ? new DisconnectedError(`${description}: ${err.message}`) : new DisconnectedError(`${description} closed`))
    })
    port.on('error', (err: Error) => {
      if (this.isOpen) super.close(new DisconnectedError(`${description}: ${err.message}`))
    })
    port.on('data', (chunk: Buffer) => this.emit('data', chunk))
  }

  static async open(opts: SerialOptions): Promise<SerialTransport> {
    const { SerialPort } = await serialportModule()
    const binding = opts.binding ?? SerialPort.binding
    const options = { binding, path: opts.path, baudRate: opts.baudRate, dataBits: 8, stopBits: 1, parity: 'none', autoOpen: false, highWaterMark: 16 * 1024 }
    const port = new SerialPort(options as ConstructorParameters<typeof SerialPort>[0])
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
    return new SerialTransport(port, `${opts.path}@${opts.baudRate}`)
  }

  /** The binding's port object (tests reach the @serialport/binding-mock port through it). */
  get bindingPort(): unknown {
    return this.#port.port
  }

  protected writeBytes(bytes: Uint8Array): void {
    this.#port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  }

  protected closeUnderlying(): void {
    if (this.#port.isOpen) this.#port.close(() => {})
    this.#port.removeAllListeners('data')
    // keep an error listener: a late IO error must not crash the process
    this.#port.on('error', () => {})
  }
}
