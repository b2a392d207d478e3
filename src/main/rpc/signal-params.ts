// SignalParams: the metadata argument of OnReceiveMessage, and the packing of call parameters
// (each parameter encoded on its own, the list of encodings packed into one byte array).
// Browser-safe.

import { AcBinaryError, decodeValue, encodeValue } from './codec.ts'

/** Numeric values are Pitwall's choice (upstream's are not public). */
export const SignalStatus = { Error: 0, Success: 1 } as const
export type SignalStatus = (typeof SignalStatus)[keyof typeof SignalStatus]

export const DataSerializerType = { Binary: 0, JsonGZip: 1 } as const
export type DataSerializerType = (typeof DataSerializerType)[keyof typeof DataSerializerType]

export interface SignalParams {
  Status: SignalStatus
  DataSerializerType: DataSerializerType
  /** Packed parameters: the encoding of an array of byte arrays, element i = the encoding of parameter i. */
  Parameters: Uint8Array | null
  /** What `data` holds (a Pitwall type key such as "string", "RunPlanItem[]", "RpcError"); null for raw bytes. */
  SignalDataType: string | null
  /** The requester wants `data` handed over as raw bytes (no decode). */
  IsRawBytesData: boolean
}

export function signalParams(p: Partial<SignalParams> = {}): SignalParams {
  return { Status: SignalStatus.Success, DataSerializerType: DataSerializerType.Binary, Parameters: null, SignalDataType: null, IsRawBytesData: false, ...p }
}

/**
 * The object written on the wire: fields in this order, defaults omitted (Status 0, Binary, null,
 * false), so an empty request's SignalParams is two bytes (`40 00`).
 */
export function signalParamsWire(p: SignalParams): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  if (p.Status !== 0) o.Status = p.Status
  if (p.DataSerializerType !== 0) o.DataSerializerType = p.DataSerializerType
  if (p.Parameters !== null) o.Parameters = p.Parameters
  if (p.SignalDataType !== null) o.SignalDataType = p.SignalDataType
  if (p.IsRawBytesData) o.IsRawBytesData = true
  return o
}

export class SignalParamsError extends Error {
  override name = 'SignalParamsError'
}

/**
 * Reads SignalParams as any hub protocol delivers them: the acbinary/MessagePack object (Parameters as
 * bytes), or JSON (Parameters as base64 text, as .NET writes byte[] in JSON). Missing fields take
 * their defaults; a field of the wrong type is a SignalParamsError naming it.
 */
export function readSignalParams(raw: unknown): SignalParams {
  if (raw === null || raw === undefined) return signalParams({ Status: SignalStatus.Error })
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) throw new SignalParamsError('signalParams must be an object')
  const o = raw as Record<string, unknown>
  const get = (k: string) => o[k] ?? o[k[0]!.toLowerCase() + k.slice(1)]
  const status = get('Status') ?? 0
  if (status !== 0 && status !== 1) throw new SignalParamsError(`signalParams.Status must be 0 (Error) or 1 (Success), got ${show(status)}`)
  const ser = get('DataSerializerType') ?? 0
  if (ser !== 0 && ser !== 1) throw new SignalParamsError(`signalParams.DataSerializerType must be 0 (Binary) or 1 (JsonGZip), got ${show(ser)}`)
  let params = get('Parameters') ?? null
  if (typeof params === 'string') params = fromBase64(params, 'signalParams.Parameters')
  if (params instanceof ArrayBuffer) params = new Uint8Array(params)
  if (params !== null && !(params instanceof Uint8Array)) throw new SignalParamsError('signalParams.Parameters must be a byte array (base64 in JSON) or null')
  const dataType = get('SignalDataType') ?? null
  if (dataType !== null && typeof dataType !== 'string') throw new SignalParamsError('signalParams.SignalDataType must be a string or null')
  const raw2 = get('IsRawBytesData') ?? false
  if (typeof raw2 !== 'boolean') throw new SignalParamsError('signalParams.IsRawBytesData must be a boolean')
  return { Status: status, DataSerializerType: ser, Parameters: params as Uint8Array | null, SignalDataType: dataType as string | null, IsRawBytesData: raw2 }
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v))

/** Client side: each parameter encoded on its own, then the list of encodings as one byte array. */
export function packParameters(values: readonly unknown[]): Uint8Array | null {
  if (values.length === 0) return null
  return encodeValue(values.map((v) => encodeValue(v)))
}

/** Server side: the list of per-parameter encodings (not decoded yet: each is decoded with its own type). */
export function unpackParameters(packed: Uint8Array | null): Uint8Array[] {
  if (packed === null || packed.length === 0) return []
  let list: unknown
  try {
    list = decodeValue(packed)
  } catch (err) {
    throw new SignalParamsError(`signalParams.Parameters is not a packed parameter list: ${(err as Error).message}`)
  }
  if (!Array.isArray(list) || !list.every((x) => x instanceof Uint8Array)) throw new SignalParamsError('signalParams.Parameters must pack an array of byte arrays')
  return list as Uint8Array[]
}

/** Decodes parameter i; a malformed one is a SignalParamsError naming its position. */
export function decodeParameter(bytes: Uint8Array, index: number): unknown {
  try {
    return decodeValue(bytes)
  } catch (err) {
    if (err instanceof AcBinaryError) throw new SignalParamsError(`parameter ${index} is malformed: ${err.message}`)
    throw err
  }
}

function fromBase64(s: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new SignalParamsError(`${what} is not valid base64`)
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export function toBase64(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000))
  return btoa(s)
}
