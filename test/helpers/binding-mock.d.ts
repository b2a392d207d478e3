// @serialport/binding-mock ships types its package.json "exports" do not expose under our module
// resolution; this is the part of them the tests use.
declare module '@serialport/binding-mock' {
  export interface CreatePortOptions {
    echo?: boolean
    record?: boolean
    readyData?: Buffer
    maxReadSize?: number
    manufacturer?: string
    vendorId?: string
    productId?: string
  }
  export interface OpenOptions {
    path: string
    baudRate: number
    [k: string]: unknown
  }
  export class MockPortBinding {
    readonly openOptions: Required<OpenOptions>
    lastWrite: null | Buffer
    recording: Buffer
    isOpen: boolean
    emitData(data: Buffer | string): void
    close(): Promise<void>
    read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>
    write(buffer: Buffer): Promise<void>
  }
  export const MockBinding: {
    reset(): void
    createPort(path: string, opt?: CreatePortOptions): void
    list(): Promise<Array<{ path: string; vendorId?: string; productId?: string; manufacturer?: string }>>
    open(options: OpenOptions): Promise<MockPortBinding>
  }
}
