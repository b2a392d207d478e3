import type { Logger } from '../log/index.ts'

/** The part of node-usb 2.x used here (tests pass a fake). */
export interface UsbLike {
  INIT_ERROR?: number
  on(event: 'attach' | 'detach', fn: () => void): unknown
  off(event: 'attach' | 'detach', fn: () => void): unknown
  unrefHotplugEvents(): void
}

export const loadUsb = async (): Promise<UsbLike> => (await import('usb')).usb as unknown as UsbLike

/**
 * USB attach/detach → one debounced callback (a rescan). Uses node-usb 2.x hotplug (libusb, or its
 * polling fallback); unreferenced so a process with a listener can still exit. When libusb cannot
 * start (containers, WSL), hotplug is off and the reconnect backoff alone finds the port again.
 */
export class UsbHotplug {
  #off: (() => void) | undefined
  #timer: NodeJS.Timeout | undefined
  #log: Logger
  #debounceMs: number
  #load: () => Promise<UsbLike>
  active = false

  constructor(log: Logger, debounceMs = 500, load: () => Promise<UsbLike> = loadUsb) {
    this.#log = log
    this.#debounceMs = debounceMs
    this.#load = load
  }

  async start(onChange: (what: 'attach' | 'detach') => void): Promise<void> {
    if (this.#off) return
    try {
      const usb = await this.#load()
      if (usb.INIT_ERROR) throw new Error(`libusb failed to initialise (${usb.INIT_ERROR})`)
      let last: 'attach' | 'detach' = 'attach'
      const fire = (what: 'attach' | 'detach') => {
        last = what
        clearTimeout(this.#timer)
        this.#timer = setTimeout(() => onChange(last), this.#debounceMs)
        this.#timer.unref()
      }
      const onAttach = () => fire('attach')
      const onDetach = () => fire('detach')
      usb.on('attach', onAttach)
      usb.on('detach', onDetach)
      usb.unrefHotplugEvents()
      this.active = true
      this.#off = () => {
        usb.off('attach', onAttach)
        usb.off('detach', onDetach)
      }
    } catch (err) {
      this.#log.info({ err: (err as Error).message }, 'USB hotplug unavailable; relying on periodic reconnect')
    }
  }

  stop(): void {
    clearTimeout(this.#timer)
    this.#off?.()
    this.#off = undefined
    this.active = false
  }
}
