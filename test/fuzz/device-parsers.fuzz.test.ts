import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { PcpEmulator } from '../../src/main/device/emulators/pcp-emulator.ts'
import { encodeFrame, LineSplitter, PCP_MAX_LINE, parseFrame } from '../../src/main/device/pcp/codec.ts'
import { PCP_KEYS } from '../../src/main/device/pcp/keys.ts'
import { memoryPair } from '../../src/main/device/transport/memory.ts'
import { parseReply, salvageReply, ViscaSplitter } from '../../src/main/device/visca/codec.ts'
import { runs, SEED, tally } from './lib.ts'

// The serial parsers cannot be confused: valid frames survive any chunking and any noise between
// them, arbitrary bytes never throw and never grow a buffer, and the PCP emulator answers every
// line with exactly one ACK or NAK.

const pcpFrame = fc
  .tuple(fc.integer({ min: 1, max: 255 }), fc.constantFrom('ID', 'GET', 'SET', 'PING', 'ACK', 'NAK', 'EVT'), fc.array(fc.constantFrom(...PCP_KEYS.map((k) => `${k.code}=${k.def.default === true ? 1 : k.def.default === false ? 0 : k.def.default}`)), { maxLength: 8 }))
  .map(([seq, verb, args]) => encodeFrame(seq, verb, args))
/** Noise that is never a valid frame: it holds a control byte, or is too long. */
const pcpNoise = fc.oneof(
  fc.tuple(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 31 }).filter((b) => b !== 10), fc.string({ maxLength: 40 })).map(([a, b, c]) => `${a}${String.fromCharCode(b)}${c}`.replace(/\n/g, '')),
  fc.integer({ min: PCP_MAX_LINE + 1, max: 2000 }).map((n) => 'x'.repeat(n)),
)
const chunked = (bytes: Buffer) => fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 200 }).map((sizes) => {
  const out: Buffer[] = []
  let i = 0
  for (let k = 0; i < bytes.length; k++) {
    const n = sizes[k % sizes.length]!
    out.push(bytes.subarray(i, i + n))
    i += n
  }
  return out
})

describe('PCP LineSplitter + parseFrame', () => {
  const t = tally('device pcp parser')
  afterAll(() => t.save())

  it('recovers every valid frame, in order, through noise and any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(pcpNoise, { nil: undefined }), pcpFrame), { minLength: 1, maxLength: 20 }).chain((items) => {
          const wire = Buffer.from(items.map(([noise, f]) => (noise === undefined ? '' : `${noise}\n`) + f).join(''), 'latin1')
          return chunked(wire).map((chunks) => ({ chunks, frames: items.map(([, f]) => f.trimEnd()) }))
        }),
        ({ chunks, frames }) => {
          const s = new LineSplitter()
          const got: string[] = []
          for (const c of chunks) for (const e of s.push(c)) if (e.kind === 'line' && parseFrame(e.text).ok) got.push(e.text)
          t.count('recovered')
          expect(got).toEqual(frames)
        },
      ),
      { seed: SEED, numRuns: runs(100) },
    )
  })

  it('never throws on arbitrary bytes and stays bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600, size: 'max' }), { maxLength: 20 }), (chunks) => {
        const s = new LineSplitter()
        for (const c of chunks)
          for (const e of s.push(c)) {
            if (e.kind === 'line') {
              expect(e.text.length).toBeLessThanOrEqual(PCP_MAX_LINE)
              t.count(parseFrame(e.text).ok ? 'frame' : 'line-rejected')
            } else t.count(`error-${e.code}`)
          }
      }),
      { seed: SEED, numRuns: runs(200) },
    )
  })

  it('the emulator answers every request line with exactly one ACK or NAK', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(pcpFrame, pcpNoise, fc.string({ maxLength: 120 }).map((s) => s.replace(/\n/g, ''))).filter((l) => l.trim().length > 0), async (line) => {
        const [host, dev] = memoryPair()
        const emu = new PcpEmulator()
        emu.attach(dev)
        const answers: string[] = []
        const s = new LineSplitter()
        host.on('data', (b) => {
          for (const e of s.push(b)) if (e.kind === 'line') answers.push(e.text)
        })
        const text = line.endsWith('\n') ? line : `${line}\n`
        host.write(Buffer.from(text, 'latin1'))
        // the memory line delivers on later turns of the event loop: wait for an answer (or 50 ms)
        for (let i = 0; i < 50 && !answers.some((a) => / (ACK|NAK) /.test(a)); i++) await new Promise((r) => setTimeout(r, 1))
        await new Promise((r) => setImmediate(r))
        emu.stop()
        host.close()
        const replies = answers.filter((a) => / (ACK|NAK) /.test(a))
        const isDeviceVerb = /^[0-9A-F]{2} (ACK|NAK|EVT)\b/.test(text)
        if (!isDeviceVerb) {
          expect(replies).toHaveLength(1)
          t.count(`emulator-${replies[0]!.split(' ')[1]}`)
        } else t.count('emulator-device-verb')
      }),
      { seed: SEED, numRuns: runs(100, 1000) },
    )
  })
})

const viscaReply = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 2 })).map(([a, s]) => [(a + 8) << 4, 0x40 | s, 0xff]),
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 2 })).map(([a, s]) => [(a + 8) << 4, 0x50 | s, 0xff]),
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 12 })).map(([a, d]) => [(a + 8) << 4, 0x50, ...d, 0xff]),
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom(1, 2, 3, 4, 5, 0x41)).map(([a, s, c]) => [(a + 8) << 4, 0x60 | s, c, 0xff]),
)
/** Noise without a high-bit byte: never a packet start. */
const viscaNoise = fc.array(fc.integer({ min: 0, max: 0x7f }), { minLength: 1, maxLength: 40 })

describe('VISCA splitter + parseReply', () => {
  const t = tally('device visca parser')
  afterAll(() => t.save())

  it('recovers every reply, in order, through low-byte noise and any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(viscaNoise, { nil: undefined }), viscaReply), { minLength: 1, maxLength: 20 }).chain((items) => {
          const wire = Buffer.from(items.flatMap(([n, r]) => [...(n ?? []), ...r]))
          return chunked(wire).map((chunks) => ({ chunks, replies: items.map(([, r]) => r) }))
        }),
        ({ chunks, replies }) => {
          const s = new ViscaSplitter()
          const got: number[][] = []
          for (const c of chunks) for (const e of s.push(c)) if (e.kind === 'packet') got.push(e.bytes)
          expect(got).toEqual(replies)
          for (const r of got) expect(parseReply(r).kind).not.toBe('unknown')
          t.count('recovered')
        },
      ),
      { seed: SEED, numRuns: runs(100) },
    )
  })

  it('a reply behind one stray high-bit byte is salvaged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0x80, max: 0xfe }), viscaReply, (stray, reply) => {
        const s = new ViscaSplitter()
        const packets = s.push([stray, ...reply]).filter((e) => e.kind === 'packet')
        const last = packets.at(-1)!.bytes
        const direct = parseReply(last)
        const r = direct.kind !== 'unknown' && last.length === reply.length ? direct : salvageReply(last)?.reply
        expect(r).toEqual(parseReply(reply))
        t.count('salvaged')
      }),
      { seed: SEED, numRuns: runs(200) },
    )
  })

  it('never throws on arbitrary bytes; packets are at most 16 bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300, size: 'max' }), { maxLength: 20 }), (chunks) => {
        const s = new ViscaSplitter()
        for (const c of chunks)
          for (const e of s.push(c)) {
            if (e.kind === 'packet') {
              expect(e.bytes.length).toBeLessThanOrEqual(16)
              t.count(`packet-${parseReply(e.bytes).kind}`)
            } else t.count('skipped')
          }
      }),
      { seed: SEED, numRuns: runs(200) },
    )
  })
})
