import { PCP_DEFAULT_BAUD } from './pcp/codec.ts'
import { VISCA_DEFAULT_BAUD } from './visca/codec.ts'

// `--device` / config.device.source: sim | pcp:PATH[@BAUD] | visca:PATH[@BAUD] | auto

export type DeviceSource = { kind: 'sim' } | { kind: 'auto' } | { kind: 'pcp' | 'visca'; path: string; baudRate: number }

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const

export class DeviceSourceError extends Error {
  override name = 'DeviceSourceError'
}

export function parseDeviceSource(spec: string): DeviceSource {
  const s = spec.trim()
  if (s === 'sim' || s === 'auto') return { kind: s }
  const m = /^(pcp|visca):(.+)$/.exec(s)
  if (!m) throw new DeviceSourceError(`device source '${spec}' must be sim, auto, pcp:PATH[@BAUD] or visca:PATH[@BAUD]`)
  const kind = m[1] as 'pcp' | 'visca'
  let path = m[2]!
  let baudRate: number = kind === 'pcp' ? PCP_DEFAULT_BAUD : VISCA_DEFAULT_BAUD
  const at = /@(\d+)$/.exec(path)
  if (at) {
    baudRate = Number(at[1])
    path = path.slice(0, at.index)
    if (!(BAUD_RATES as readonly number[]).includes(baudRate)) throw new DeviceSourceError(`baud rate ${baudRate} in '${spec}' must be one of ${BAUD_RATES.join(', ')}`)
  }
  if (!path) throw new DeviceSourceError(`device source '${spec}' has no port path`)
  return { kind, path, baudRate }
}

export function formatDeviceSource(s: DeviceSource): string {
  return s.kind === 'sim' || s.kind === 'auto' ? s.kind : `${s.kind}:${s.path}@${s.baudRate}`
}

/** USB-serial bridges `auto` treats as controllers: FTDI, CH340, CP210x (+ config.device.usbIds). */
export const KNOWN_USB_IDS: readonly string[] = ['0403:6001', '0403:6010', '0403:6011', '0403:6014', '0403:6015', '1a86:7523', '10c4:ea60']

/** "0403:6001" matches a port whose vendorId/productId (hex strings, any case) are those; "0403:*" any FTDI. */
export function matchesUsbId(port: { vendorId?: string; productId?: string }, ids: readonly string[]): boolean {
  if (!port.vendorId || !port.productId) return false
  const vid = port.vendorId.toLowerCase().padStart(4, '0')
  const pid = port.productId.toLowerCase().padStart(4, '0')
  return ids.some((id) => {
    const [v, p] = id.toLowerCase().split(':')
    return v === vid && (p === pid || p === '*')
  })
}
