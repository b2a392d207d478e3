// The acbinary value codec ("acbinary-lite"): a compact, self-describing binary encoding in the spirit
// of AyCode's AcBinarySerializer. Byte-by-byte reference: docs/protocols/binary-hub-protocol.md.
// Runs in Node and in the browser: Uint8Array, DataView, TextEncoder/TextDecoder only.

/** Every code a value may start with. Names follow the upstream BinaryTypeCode where it is known. */
export const Code = {
  Object: 0x40,
  ObjectRef: 0x41,
  Array: 0x42,
  Dictionary: 0x43,
  ByteArray: 0x44,
  Int32: 0x45,
  Int64: 0x46,
  Float32: 0x47,
  Float64: 0x48,
  Guid: 0x49,
  DateTime: 0x4a,
  Decimal: 0x59,
  Char: 0x5a,
  String: 0x5b,
  StringInterned: 0x5c,
  StringEmpty: 0x5d,
  StringInternFirst: 0x5e,
  Null: 0x5f,
  True: 0x60,
  False: 0x61,
  /** FixStr: 0x67 + UTF-8 byte length (1..31), then the bytes. */
  FixStrBase: 0x67,
  FixStrMax: 0x86,
  /** TinyInt: 0xC0..0xFF = value + 208, for -16..47. */
  TinyIntBase: 0xd0,
  TinyIntMin: -16,
  TinyIntMax: 47,
} as const

/** Stream header every serialized value starts with: version 1, flags 0x90 (no metadata, no refs, no cache count). */
export const HEADER_VERSION = 0x01
export const HEADER_FLAGS = 0x90

/** Strings of 4..64 UTF-16 units that occur more than once in one value are interned (upstream's bounds). */
export const INTERN_MIN = 4
export const INTERN_MAX = 64

export const DEFAULT_MAX_DEPTH = 64

/** .NET ticks (100 ns) between 0001-01-01 and 1970-01-01. */
const EPOCH_TICKS = 621_355_968_000_000_000n
const MIN_DATE_MS = -62_135_596_800_000
const MAX_DATE_MS = 253_402_300_799_999

/** A value the codec could not read or write; always a precise message with the offset. */
export class AcBinaryError extends Error {
  override name = 'AcBinaryError'
}

/** A .NET Guid: kept as its canonical lowercase text; written in Guid.ToByteArray() order. */
export class Guid {
  readonly value: string
  constructor(value: string) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw new AcBinaryError(`invalid Guid "${value}"`)
    this.value = value.toLowerCase()
  }
  toString(): string {
    return this.value
  }
  toJSON(): string {
    return this.value
  }
}

const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })

// ---------------------------------------------------------------------------------------------
// Writer

/** A growable byte buffer with the primitives of the format. */
export class ByteWriter {
  #buf: Uint8Array
  #view: DataView
  #len = 0

  constructor(initial = 256) {
    this.#buf = new Uint8Array(initial)
    this.#view = new DataView(this.#buf.buffer)
  }

  get length(): number {
    return this.#len
  }

  /** Bytes allocated. */
  get capacity(): number {
    return this.#buf.length
  }

  /** Empties the writer, keeping its buffer (one writer reused for many messages). */
  reset(): void {
    this.#len = 0
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < this.#len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.#buf.subarray(0, this.#len))
    this.#buf = next
    this.#view = new DataView(next.buffer)
  }

  u8(v: number): void {
    this.#ensure(1)
    this.#buf[this.#len++] = v
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length)
    this.#buf.set(b, this.#len)
    this.#len += b.length
  }

  u32le(v: number): void {
    this.#ensure(4)
    this.#view.setUint32(this.#len, v, true)
    this.#len += 4
  }

  i64le(v: bigint): void {
    this.#ensure(8)
    this.#view.setBigInt64(this.#len, v, true)
    this.#len += 8
  }

  f32le(v: number): void {
    this.#ensure(4)
    this.#view.setFloat32(this.#len, v, true)
    this.#len += 4
  }

  f64le(v: number): void {
    this.#ensure(8)
    this.#view.setFloat64(this.#len, v, true)
    this.#len += 8
  }

  /** Reserves 4 bytes for a length written later with patchU32. */
  reserve32(): number {
    this.#ensure(4)
    this.#len += 4
    return this.#len - 4
  }

  patchU32(at: number, v: number): void {
    this.#view.setUint32(at, v, true)
  }

  /** LEB128, 1..5 bytes, 0..2^32-1. */
  varUint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new AcBinaryError(`VarUInt out of range: ${v}`)
    while (v >= 0x80) {
      this.u8((v & 0x7f) | 0x80)
      v = Math.floor(v / 128)
    }
    this.u8(v)
  }

  /** LEB128 over a 64-bit unsigned bigint, 1..10 bytes. */
  varUlong(v: bigint): void {
    while (v >= 0x80n) {
      this.u8(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.u8(Number(v))
  }

  /** `[VarUInt byteLength][UTF-8]` — the framing string (targets, ids, header keys). */
  string(s: string): void {
    if (isAscii(s)) {
      this.varUint(s.length)
      return this.ascii(s)
    }
    const b = utf8.encode(s)
    this.varUint(b.length)
    this.bytes(b)
  }

  /** Writes a string known to be ASCII, one byte per character (no TextEncoder allocation). */
  ascii(s: string): void {
    this.#ensure(s.length)
    const buf = this.#buf
    let at = this.#len
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i)
    this.#len = at
  }

  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len)
  }
}

export const zigzag32 = (v: number): number => ((v << 1) ^ (v >> 31)) >>> 0
export const unzigzag32 = (v: number): number => (v >>> 1) ^ -(v & 1)
const zigzag64 = (v: bigint): bigint => BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
const unzigzag64 = (v: bigint): bigint => (v >> 1n) ^ -(v & 1n)

export interface EncodeOptions {
  /** Intern repeated strings (4..64 chars) with StringInternFirst/StringInterned. Default true. */
  intern?: boolean
}

/** One value, with the `01 90` stream header. */
export function encodeValue(value: unknown, opts: EncodeOptions = {}): Uint8Array {
  // One scratch writer for every call (encoding is synchronous); the result is an exact-size copy.
  const w = scratch.capacity > SCRATCH_KEEP || scratch.length > 0 ? (scratch = new ByteWriter()) : scratch
  w.reset()
  try {
    writeValue(w, value, opts)
    return w.toBytes()
  } finally {
    w.reset()
  }
}
let scratch = new ByteWriter()
/** A scratch writer grown past this is dropped rather than kept. */
const SCRATCH_KEEP = 1024 * 1024

/** Writes the header and the value into an existing writer. */
export function writeValue(w: ByteWriter, value: unknown, opts: EncodeOptions = {}): void {
  w.u8(HEADER_VERSION)
  w.u8(HEADER_FLAGS)
  const plan = opts.intern === false || value === null || typeof value !== 'object' ? undefined : internPlan(value)
  new ValueWriter(w, plan).write(value, 0)
}

/** Scan pass: the strings worth interning (occur 2+ times, 4..64 units), in order of first appearance. */
function internPlan(value: unknown): Map<string, number> | undefined {
  const seen = new Map<string, number>()
  const visit = (v: unknown, depth: number): void => {
    if (depth > DEFAULT_MAX_DEPTH) return
    if (typeof v === 'string') {
      if (v.length >= INTERN_MIN && v.length <= INTERN_MAX) seen.set(v, (seen.get(v) ?? 0) + 1)
    } else if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1)
    } else if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k, depth + 1)
        visit(x, depth + 1)
      }
    } else if (isPlainObject(v)) {
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k]
        if (x === undefined) continue
        visit(k, depth + 1)
        visit(x, depth + 1)
      }
    }
  }
  visit(value, 0)
  let plan: Map<string, number> | undefined
  for (const [s, n] of seen) if (n > 1) (plan ??= new Map()).set(s, -1)
  return plan
}

/** True when every UTF-16 unit is below 0x80 (then UTF-8 bytes = characters). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

class ValueWriter {
  #w: ByteWriter
  /** string → cache index once written (-1 = planned, not written yet). */
  #plan: Map<string, number> | undefined
  #next = 0

  constructor(w: ByteWriter, plan: Map<string, number> | undefined) {
    this.#w = w
    this.#plan = plan
  }

  write(v: unknown, depth: number): void {
    const w = this.#w
    if (depth > DEFAULT_MAX_DEPTH) throw new AcBinaryError(`value nested deeper than ${DEFAULT_MAX_DEPTH}`)
    if (v === null || v === undefined) return w.u8(Code.Null)
    switch (typeof v) {
      case 'boolean':
        return w.u8(v ? Code.True : Code.False)
      case 'number':
        return this.#number(v)
      case 'bigint':
        if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new AcBinaryError(`bigint out of Int64 range: ${v}`)
        if (v >= BigInt(Code.TinyIntMin) && v <= BigInt(Code.TinyIntMax)) return w.u8(Code.TinyIntBase + Number(v))
        w.u8(Code.Int64)
        return w.varUlong(zigzag64(v))
      case 'string':
        return this.#string(v)
      case 'object':
        break
      default:
        throw new AcBinaryError(`cannot encode a ${typeof v}`)
    }
    if (v instanceof Uint8Array) {
      w.u8(Code.ByteArray)
      w.varUint(v.length)
      return w.bytes(v)
    }
    if (Array.isArray(v)) {
      w.u8(Code.Array)
      w.varUint(v.length)
      for (const x of v) this.write(x, depth + 1)
      return
    }
    if (v instanceof Date) {
      const ms = v.getTime()
      if (Number.isNaN(ms)) throw new AcBinaryError('cannot encode an invalid Date')
      if (ms < MIN_DATE_MS || ms > MAX_DATE_MS) throw new AcBinaryError(`Date ${v.toISOString()} is outside the DateTime range (years 1..9999)`)
      w.u8(Code.DateTime)
      w.i64le(BigInt(ms) * 10_000n + EPOCH_TICKS)
      return w.u8(1) // DateTimeKind.Utc
    }
    if (v instanceof Guid) {
      w.u8(Code.Guid)
      return w.bytes(guidToBytes(v.value))
    }
    if (v instanceof Map) {
      w.u8(Code.Dictionary)
      w.varUint(v.size)
      for (const [k, x] of v) {
        this.write(k, depth + 1)
        this.write(x, depth + 1)
      }
      return
    }
    if (isPlainObject(v)) {
      let n = 0
      for (const k in v) if (v[k] !== undefined) n++
      w.u8(Code.Object)
      w.varUint(n)
      for (const k in v) {
        const x = v[k]
        if (x === undefined) continue
        this.#string(k)
        this.write(x, depth + 1)
      }
      return
    }
    throw new AcBinaryError(`cannot encode an instance of ${(v as object).constructor?.name ?? 'unknown class'}`)
  }

  #number(v: number): void {
    const w = this.#w
    if (Number.isInteger(v) && !Object.is(v, -0)) {
      if (v >= Code.TinyIntMin && v <= Code.TinyIntMax) return w.u8(Code.TinyIntBase + v)
      if (v >= -0x80000000 && v <= 0x7fffffff) {
        w.u8(Code.Int32)
        return w.varUint(zigzag32(v))
      }
      if (Number.isSafeInteger(v)) {
        w.u8(Code.Int64)
        return w.varUlong(zigzag64(BigInt(v)))
      }
    }
    w.u8(Code.Float64)
    w.f64le(v)
  }

  #string(s: string): void {
    const w = this.#w
    if (s.length === 0) return w.u8(Code.StringEmpty)
    const planned = this.#plan?.get(s)
    if (planned !== undefined) {
      if (planned >= 0) {
        w.u8(Code.StringInterned)
        return w.varUint(planned)
      }
      const index = this.#next++
      this.#plan!.set(s, index)
      w.u8(Code.StringInternFirst)
      w.varUint(index)
      return w.string(s)
    }
    if (isAscii(s)) {
      if (s.length <= Code.FixStrMax - Code.FixStrBase) w.u8(Code.FixStrBase + s.length)
      else {
        w.u8(Code.String)
        w.varUint(s.length)
      }
      return w.ascii(s)
    }
    const b = utf8.encode(s)
    if (b.length <= Code.FixStrMax - Code.FixStrBase) {
      w.u8(Code.FixStrBase + b.length)
    } else {
      w.u8(Code.String)
      w.varUint(b.length)
    }
    w.bytes(b)
  }
}

function guidToBytes(s: string): Uint8Array {
  const hex = s.replace(/-/g, '')
  const b = new Uint8Array(16)
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  // .NET Guid.ToByteArray(): the first three groups are little-endian.
  b.subarray(0, 4).reverse()
  b.subarray(4, 6).reverse()
  b.subarray(6, 8).reverse()
  return b
}

function bytesToGuid(b: Uint8Array): string {
  const c = Uint8Array.from(b)
  c.subarray(0, 4).reverse()
  c.subarray(4, 6).reverse()
  c.subarray(6, 8).reverse()
  const h = Array.from(c, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

// ---------------------------------------------------------------------------------------------
// Reader

/** A bounds-checked cursor over bytes; every read past the end is an AcBinaryError. */
export class ByteReader {
  readonly buf: Uint8Array
  #view: DataView
  pos: number
  readonly end: number

  constructor(buf: Uint8Array, start = 0, end = buf.length, view?: DataView) {
    this.buf = buf
    this.#view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = start
    this.end = end
  }

  /** A reader over [start, end) of the same bytes (no copy, no new DataView). */
  sub(start: number, end: number): ByteReader {
    return new ByteReader(this.buf, start, end, this.#view)
  }

  get remaining(): number {
    return this.end - this.pos
  }

  #need(n: number, what: string): void {
    if (n > this.end - this.pos) throw new AcBinaryError(`truncated ${what} at offset ${this.pos}: need ${n} byte(s), have ${this.end - this.pos}`)
  }

  u8(what = 'byte'): number {
    this.#need(1, what)
    return this.buf[this.pos++]!
  }

  bytes(n: number, what = 'bytes'): Uint8Array {
    this.#need(n, what)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  u32le(what = 'u32'): number {
    this.#need(4, what)
    const v = this.#view.getUint32(this.pos, true)
    this.pos += 4
    return v
  }

  i32le(what = 'i32'): number {
    this.#need(4, what)
    const v = this.#view.getInt32(this.pos, true)
    this.pos += 4
    return v
  }

  i64le(what = 'i64'): bigint {
    this.#need(8, what)
    const v = this.#view.getBigInt64(this.pos, true)
    this.pos += 8
    return v
  }

  f32le(): number {
    this.#need(4, 'Float32')
    const v = this.#view.getFloat32(this.pos, true)
    this.pos += 4
    return v
  }

  f64le(): number {
    this.#need(8, 'Float64')
    const v = this.#view.getFloat64(this.pos, true)
    this.pos += 8
    return v
  }

  varUint(what = 'VarUInt'): number {
    const at = this.pos
    let v = 0
    for (let i = 0; i < 5; i++) {
      const b = this.u8(what)
      v += (b & 0x7f) * 2 ** (7 * i)
      if ((b & 0x80) === 0) {
        if (v > 0xffffffff) throw new AcBinaryError(`${what} at offset ${at} exceeds 32 bits`)
        return v
      }
    }
    throw new AcBinaryError(`${what} at offset ${at} is longer than 5 bytes`)
  }

  varUlong(what = 'VarULong'): bigint {
    const at = this.pos
    let v = 0n
    for (let i = 0; i < 10; i++) {
      const b = this.u8(what)
      v |= BigInt(b & 0x7f) << BigInt(7 * i)
      if ((b & 0x80) === 0) {
        if (v >= 2n ** 64n) throw new AcBinaryError(`${what} at offset ${at} exceeds 64 bits`)
        return v
      }
    }
    throw new AcBinaryError(`${what} at offset ${at} is longer than 10 bytes`)
  }

  /** `[VarUInt byteLength][UTF-8]`, strict UTF-8. */
  string(what = 'string'): string {
    const n = this.varUint(`${what} length`)
    return decodeUtf8(this.bytes(n, what), what, this.pos - n)
  }
}

function decodeUtf8(b: Uint8Array, what: string, at: number): string {
  if (b.length <= 64) {
    // Short ASCII (most keys and values) without TextDecoder's call overhead.
    let ascii = true
    for (let i = 0; i < b.length; i++) {
      if (b[i]! > 0x7f) {
        ascii = false
        break
      }
    }
    if (ascii) return String.fromCharCode.apply(null, b as unknown as number[])
  }
  try {
    return utf8Strict.decode(b)
  } catch {
    throw new AcBinaryError(`${what} at offset ${at} is not valid UTF-8`)
  }
}

export interface DecodeOptions {
  maxDepth?: number
}

/** Decodes one complete value (header + value); trailing bytes are an error. */
export function decodeValue(bytes: Uint8Array, opts: DecodeOptions = {}): unknown {
  const r = new ByteReader(bytes)
  const v = readValue(r, opts)
  if (r.remaining !== 0) throw new AcBinaryError(`${r.remaining} trailing byte(s) after the value at offset ${r.pos}`)
  return v
}

/** Reads the header and one value from the reader. */
export function readValue(r: ByteReader, opts: DecodeOptions = {}): unknown {
  const at = r.pos
  const version = r.u8('header version')
  if (version !== HEADER_VERSION) throw new AcBinaryError(`unsupported header version 0x${hex(version)} at offset ${at} (expected 0x01)`)
  const flags = r.u8('header flags')
  if (flags !== HEADER_FLAGS) {
    throw new AcBinaryError(`unsupported header flags 0x${hex(flags)} at offset ${at + 1} (metadata, reference handling and type-wrapper caches are not supported; expected 0x90)`)
  }
  return new ValueReader(r, opts.maxDepth ?? DEFAULT_MAX_DEPTH).read(0)
}

const hex = (b: number) => b.toString(16).padStart(2, '0').toUpperCase()

class ValueReader {
  #r: ByteReader
  #maxDepth: number
  #interned: string[] = []

  constructor(r: ByteReader, maxDepth: number) {
    this.#r = r
    this.#maxDepth = maxDepth
  }

  read(depth: number): unknown {
    const r = this.#r
    if (depth > this.#maxDepth) throw new AcBinaryError(`value nested deeper than ${this.#maxDepth} at offset ${r.pos}`)
    const at = r.pos
    const code = r.u8('type code')
    if (code >= 0xc0) return code - Code.TinyIntBase
    if (code >= Code.FixStrBase && code <= Code.FixStrMax) {
      const n = code - Code.FixStrBase
      return decodeUtf8(r.bytes(n, 'FixStr'), 'FixStr', r.pos - n)
    }
    switch (code) {
      case Code.Null:
        return null
      case Code.True:
        return true
      case Code.False:
        return false
      case Code.Int32: {
        const z = r.varUint('Int32')
        return unzigzag32(z)
      }
      case Code.Int64: {
        const v = unzigzag64(r.varUlong('Int64'))
        if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new AcBinaryError(`Int64 at offset ${at} out of range`)
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
      }
      case Code.Float32:
        return r.f32le()
      case Code.Float64:
        return r.f64le()
      case Code.Decimal:
        return decimalToNumber(r.bytes(16, 'Decimal'), at)
      case Code.Char: {
        const c = r.varUint('Char')
        if (c > 0xffff) throw new AcBinaryError(`Char at offset ${at} out of range: ${c}`)
        return String.fromCharCode(c)
      }
      case Code.String:
        return r.string('String')
      case Code.StringEmpty:
        return ''
      case Code.StringInternFirst: {
        const index = r.varUint('intern index')
        if (index !== this.#interned.length) throw new AcBinaryError(`StringInternFirst at offset ${at} has index ${index}, expected ${this.#interned.length}`)
        const s = r.string('interned string')
        this.#interned.push(s)
        return s
      }
      case Code.StringInterned: {
        const index = r.varUint('intern index')
        const s = this.#interned[index]
        if (s === undefined) throw new AcBinaryError(`StringInterned at offset ${at} refers to index ${index}, only ${this.#interned.length} interned`)
        return s
      }
      case Code.ByteArray: {
        const n = r.varUint('ByteArray length')
        return r.bytes(n, 'ByteArray').slice()
      }
      case Code.Array: {
        const n = this.#count('Array', 1)
        const out: unknown[] = new Array(n)
        for (let i = 0; i < n; i++) out[i] = this.read(depth + 1)
        return out
      }
      case Code.Object: {
        const n = this.#count('Object', 2)
        const out: Record<string, unknown> = {}
        for (let i = 0; i < n; i++) {
          const kat = r.pos
          // Keys are interned after their first use in most real data: look those up directly.
          const kc = r.buf[r.pos]
          let k: unknown
          if (kc === Code.StringInterned && r.pos + 1 < r.end && r.buf[r.pos + 1]! < 0x80) {
            k = this.#interned[r.buf[r.pos + 1]!]
            if (k === undefined) k = this.read(depth + 1) // the generic path reports the bad index
            else r.pos += 2
          } else {
            k = this.read(depth + 1)
          }
          if (typeof k !== 'string') throw new AcBinaryError(`Object key at offset ${kat} is not a string`)
          if (k === '__proto__') throw new AcBinaryError(`Object key "__proto__" at offset ${kat} is not allowed`)
          if (k in out && Object.hasOwn(out, k)) throw new AcBinaryError(`duplicate Object key "${k}" at offset ${kat}`)
          out[k] = this.read(depth + 1)
        }
        return out
      }
      case Code.Dictionary: {
        const n = this.#count('Dictionary', 2)
        const out = new Map<unknown, unknown>()
        for (let i = 0; i < n; i++) {
          const k = this.read(depth + 1)
          out.set(k, this.read(depth + 1))
        }
        return out
      }
      case Code.Guid:
        return bytesToGuid(r.bytes(16, 'Guid'))
      case Code.DateTime: {
        const ticks = r.i64le('DateTime')
        const kind = r.u8('DateTime kind')
        if (kind > 2) throw new AcBinaryError(`DateTime kind ${kind} at offset ${r.pos - 1} (expected 0..2)`)
        const d = new Date(Number((ticks - EPOCH_TICKS) / 10_000n))
        if (Number.isNaN(d.getTime())) throw new AcBinaryError(`DateTime at offset ${at} out of range`)
        return d
      }
      case Code.ObjectRef:
        throw new AcBinaryError(`unsupported type code 0x41 (ObjectRef) at offset ${at}: reference handling is not supported`)
      default:
        if (code < 0x40) throw new AcBinaryError(`unsupported type code 0x${hex(code)} (FixObj slot ${code}) at offset ${at}: .NET type-slot objects are not supported`)
        throw new AcBinaryError(`unknown type code 0x${hex(code)} at offset ${at}`)
    }
  }

  /** A collection count, bounded by the bytes left (each item takes at least `minBytes`). */
  #count(what: string, minBytes: number): number {
    const at = this.#r.pos
    const n = this.#r.varUint(`${what} count`)
    if (n * minBytes > this.#r.remaining) throw new AcBinaryError(`${what} count ${n} at offset ${at} exceeds the ${this.#r.remaining} byte(s) left`)
    return n
  }
}

/** .NET System.Decimal: lo, mid, hi (u32 LE each), flags (scale in bits 16..23, sign in bit 31). */
function decimalToNumber(b: Uint8Array, at: number): number {
  const v = new DataView(b.buffer, b.byteOffset, 16)
  const flags = v.getUint32(12, true)
  const scale = (flags >>> 16) & 0xff
  if (scale > 28 || (flags & 0x7f00ffff) !== 0) throw new AcBinaryError(`Decimal at offset ${at} has invalid flags 0x${flags.toString(16)}`)
  const mant = (BigInt(v.getUint32(8, true)) << 64n) | (BigInt(v.getUint32(4, true)) << 32n) | BigInt(v.getUint32(0, true))
  const n = Number(mant) / 10 ** scale
  return flags & 0x80000000 ? -n : n
}
