import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeFrame, LineSplitter, NAK, NAK_TEXT, parseFrame } from '../../../src/main/device/pcp/codec.ts'
import { PcpSession } from '../../../src/main/device/pcp/driver.ts'
import { PCP_KEYS } from '../../../src/main/device/pcp/keys.ts'
import { BaseTransport } from '../../../src/main/device/transport/transport.ts'

// docs/protocols/pcp.md, the driver's key table and the reference firmware must say the same thing.

const root = fileURLToPath(new URL('../../../', import.meta.url))
const doc = readFileSync(join(root, 'docs/protocols/pcp.md'), 'utf8')
const sketchPath = join(root, 'examples/firmware/pitwall-pcp/pitwall-pcp.ino')
const sketch = readFileSync(sketchPath, 'utf8')

function section(title: string): string {
  const start = doc.indexOf(`## ${title}`)
  const end = doc.indexOf('\n## ', start + 1)
  return doc.slice(start, end < 0 ? undefined : end)
}
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('|---'))
    .slice(1)
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim().replace(/`/g, '')),
    )
}

interface Row {
  code: string
  type: string
  range: string
  readOnly: boolean
}

const docKeys = new Map<string, Row>(tableRows(section('5. Keys')).map(([key, code, type, range, access]) => [key!, { code: code!, type: type!, range: range!, readOnly: access === 'ro' }]))

// The sketch's table: {"L1", T_BOOL, 0, 1, nullptr, 0, false, 0}
const sketchKeys = [...sketch.matchAll(/\{"(\w+)", (T_\w+), (-?\d+), (-?\d+), (\w+), (\d+), (true|false), (-?\d+)\}/g)].map((m) => ({
  code: m[1]!,
  type: m[2]!,
  min: Number(m[3]),
  max: Number(m[4]),
  values: m[5] === 'nullptr' ? undefined : [...sketch.matchAll(new RegExp(`const char \\*const ${m[5]}\\[\\] = \\{([^}]*)\\}`, 'g'))][0]![1]!.split(',').map((v) => v.trim().replace(/"/g, '')),
  readOnly: m[7] === 'true',
  initial: Number(m[8]),
}))

describe('PCP: doc, driver table and reference firmware agree', () => {
  it('every v1 key is in the doc with the driver code, type, range and access', () => {
    expect(docKeys.size).toBe(23)
    for (const k of PCP_KEYS) {
      const row = docKeys.get(k.key)
      expect(row, k.key).toBeDefined()
      expect(row!.code).toBe(k.code)
      const type = { boolean: 'bool', integer: 'int', enum: 'enum', record: 'enum', action: 'action' }[k.def.type]
      expect(row!.type, k.key).toBe(type)
      if (k.def.type === 'integer') expect(row!.range.startsWith(`${k.def.min}–${k.def.max}`), `${k.key}: ${row!.range}`).toBe(true)
      if (k.def.values) expect(row!.range.startsWith(k.def.values.join(', ')), `${k.key}: ${row!.range}`).toBe(true)
      expect(row!.readOnly, k.key).toBe(k.def.readOnly)
    }
  })

  it('the firmware command table has the same codes in the same order, types, ranges, values and defaults', () => {
    expect(sketchKeys.map((k) => k.code)).toEqual(PCP_KEYS.map((k) => k.code))
    for (const [i, s] of sketchKeys.entries()) {
      const k = PCP_KEYS[i]!
      const def = k.def
      expect(s.type, k.key).toBe({ boolean: 'T_BOOL', integer: 'T_INT', enum: 'T_ENUM', record: 'T_ENUM', action: 'T_ACTION' }[def.type])
      expect(s.readOnly, k.key).toBe(def.readOnly)
      if (def.type === 'integer') expect([s.min, s.max], k.key).toEqual([def.min, def.max])
      if (def.values) {
        expect(s.values, k.key).toEqual([...def.values])
        expect(s.values![s.initial], k.key).toBe(def.default)
      } else if (def.type === 'integer') expect(s.initial, k.key).toBe(def.default)
      else expect(s.initial === 1, k.key).toBe(def.default)
    }
  })

  it('NAK codes agree (doc, driver, firmware)', () => {
    const rows = tableRows(section('6. NAK codes'))
    expect(rows.map(([code, name]) => [Number(code), name])).toEqual(Object.entries(NAK).map(([name, code]) => [code, name]))
    for (const [name, code] of Object.entries(NAK)) {
      expect(sketch, name).toMatch(new RegExp(`#define NAK_${name} ${code}\\b`))
      expect(NAK_TEXT[code]).toBeTruthy()
    }
  })

  it('verbs agree: the doc lists what the firmware handles', () => {
    const verbs = tableRows(section('4. Verbs')).map(([v, dir]) => [v!, dir!] as const)
    const hostVerbs = verbs.filter(([, d]) => d === 'host → device').map(([v]) => v)
    expect(hostVerbs).toEqual(['ID', 'GET', 'SET', 'PING'])
    for (const v of hostVerbs) expect(sketch).toContain(`strcmp(verb, "${v}") == 0`)
    for (const v of verbs.filter(([, d]) => d === 'device → host').map(([v]) => v)) expect(sketch).toContain(`"${v}"`)
  })

  it('the example frames in the doc carry correct checksums', () => {
    const frames = [...doc.matchAll(/^(?:host|dev)  ?→ (\S.*?\*[0-9A-F]{2})\b/gm)].map((m) => m[1]!)
    expect(frames.length).toBeGreaterThan(8)
    for (const f of frames) {
      const [seq, verb, ...args] = f.slice(0, -3).split(' ')
      expect(encodeFrame(parseInt(seq!, 16), verb!, args).trimEnd(), f).toBe(f)
    }
  })
})

// The sketch itself, compiled for the host with a tiny Arduino shim and driven by the real driver.
const gpp = spawnSync('g++', ['--version']).status === 0

class ChildTransport extends BaseTransport {
  readonly description = 'firmware process'
  readonly child: ChildProcessWithoutNullStreams
  constructor(child: ChildProcessWithoutNullStreams) {
    super()
    this.child = child
    child.stdout.on('data', (b: Buffer) => this.emit('data', b))
    child.once('exit', () => this.close(new Error('firmware exited')))
  }
  protected writeBytes(bytes: Uint8Array): void {
    this.child.stdin.write(bytes)
  }
  protected closeUnderlying(): void {
    this.child.kill()
  }
}

describe.skipIf(!gpp)('the reference firmware, compiled for the host, against the PCP driver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-fw-'))
  const bin = join(dir, 'pcp-fw')
  const shim = join(root, 'test/fixtures/firmware-host')
  let t: ChildTransport | undefined
  afterAll(() => t?.close())

  it('compiles without warnings', () => {
    const r = spawnSync('g++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-O1', '-I', shim, '-x', 'c++', sketchPath, '-x', 'c++', join(shim, 'host.cpp'), '-o', bin], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('identifies, reads, writes, refuses, replays repeats, reports buttons and head 2', async () => {
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'], env: { ...process.env, PITWALL_PINS: '7=0' } }) as unknown as ChildProcessWithoutNullStreams
    t = new ChildTransport(child)
    const pins = child.stdio[3] as unknown as NodeJS.WritableStream
    const s = new PcpSession(t, { answerTimeoutMs: 1000 })
    const raw: string[] = []
    s.on('traffic', (e) => raw.push(e.raw))
    const info = await s.handshake()
    expect(info).toMatchObject({ model: 'pitwall-pcp', firmware: '1.0.0' })
    expect(s.capabilities.size).toBe(23)
    expect(info.state).toMatchObject({ 'cam2-exists': true, resolution: '1920x1080', 'jpeg-quality': 85, record: 'off' })

    const r = await s.apply({ brightness: 64, resolution: '640x480', record: 'pause', snap: true, 'auto-white-balance': 'fluorescent' })
    expect(r).toEqual({
      brightness: { ok: true, value: 64 },
      resolution: { ok: true, value: '640x480' },
      record: { ok: false, reason: 'Device refused record: not recording (NAK 08)' },
      snap: { ok: true, value: true },
      'auto-white-balance': { ok: true, value: 'fluorescent' },
    })
    expect(await s.readAll()).toMatchObject({ brightness: 64, resolution: '640x480', snap: false })

    const changes: unknown[] = []
    s.on('change', (c) => changes.push(c))
    await s.apply({ 'main-camera': 2, 'cam2-light': true })
    pins.write('2 0\n') // light 1 button down
    await expect.poll(() => changes, { timeout: 3000 }).toContainEqual({ 'cam1-light': true })
    pins.write('2 1\n7 1\n') // button up; head 2 unplugged
    await expect.poll(() => changes, { timeout: 3000 }).toContainEqual({ 'cam2-exists': false, 'cam2-light': false, 'main-camera': 1 })

    // bad input straight onto the line
    const answers: string[] = []
    t.on('data', (b: Uint8Array) => answers.push(...Buffer.from(b).toString('latin1').split('\n').filter(Boolean)))
    const set = encodeFrame(0x70, 'SET', ['CON=11'])
    t.write(set + set) // a repeat: answered twice, applied once
    t.write('x'.repeat(300) + '\n')
    t.write('\x01\x02\n')
    t.write('71 SET CON=12*00\n')
    t.write(encodeFrame(0x72, 'SET', ['H1=0']) + encodeFrame(0x73, 'SET', ['FPS=61']) + encodeFrame(0x74, 'SET', ['ZZ=1']) + encodeFrame(0x75, 'JUMP'))
    await expect.poll(() => answers.length, { timeout: 3000 }).toBeGreaterThanOrEqual(8)
    expect(answers.slice(0, 8)).toEqual([
      encodeFrame(0x70, 'ACK', ['SET', 'CON=11']).trimEnd(),
      encodeFrame(0x70, 'ACK', ['SET', 'CON=11']).trimEnd(),
      encodeFrame(0, 'NAK', ['09', '-', 'line', 'too', 'long']).trimEnd(),
      encodeFrame(0, 'NAK', ['02', '-', 'non-printable', 'bytes', 'in', 'line']).trimEnd(),
      encodeFrame(0x71, 'NAK', ['01', '-', 'bad', 'checksum']).trimEnd(),
      encodeFrame(0x72, 'NAK', ['06', 'H1', 'read-only', 'key']).trimEnd(),
      encodeFrame(0x73, 'NAK', ['05', 'FPS', 'value', 'out', 'of', 'range']).trimEnd(),
      encodeFrame(0x74, 'NAK', ['04', 'ZZ', 'unknown', 'key']).trimEnd(),
    ])
    await expect.poll(() => answers.length, { timeout: 3000 }).toBeGreaterThanOrEqual(9)
    expect(answers[8]).toBe(encodeFrame(0x75, 'NAK', ['03', 'JUMP', 'unknown', 'verb']).trimEnd())
    s.close(new Error('done'))
  })

  it('answers every hostile line with exactly one valid frame, in order', async () => {
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] }) as unknown as ChildProcessWithoutNullStreams
    const line = new ChildTransport(child)
    const codes = PCP_KEYS.map((k) => k.code)
    const hostile = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 255 }), fc.constantFrom('ID', 'GET', 'SET', 'PING', 'EVT', 'ACK', 'ZAP'), fc.array(fc.oneof(fc.constantFrom(...codes), fc.constantFrom(...codes).map((c) => `${c}=1`), fc.string({ maxLength: 12 }).map((x) => x.replace(/[\s*]/g, '') || 'x')), { maxLength: 5 })).map(([q, v, a]) => encodeFrame(q, v, a).trimEnd()),
      fc.string({ minLength: 1, maxLength: 80 }).map((x) => x.replace(/\n/g, '') || '?'),
      fc.string({ minLength: 1, maxLength: 40 }).map((x) => `01 GET ${x.replace(/\n/g, '')}*00`),
      fc.integer({ min: 256, max: 600 }).map((n) => 'y'.repeat(n)),
    )
    const lines = fc.sample(hostile, { seed: 20261121, numRuns: 300 })
    // a line repeated right after itself is answered by replaying, still once
    const expected = lines.filter((l) => l.replace(/\r$/, '').length > 0).length
    const answers: string[] = []
    const split = new LineSplitter()
    line.on('data', (b) => {
      for (const e of split.push(b)) if (e.kind === 'line' && !/^[0-9A-F]{2} EVT /.test(e.text)) answers.push(e.text)
    })
    line.write(lines.map((l) => `${l}\n`).join(''))
    await expect.poll(() => answers.length, { timeout: 5000 }).toBe(expected)
    for (const a of answers) {
      expect(parseFrame(a).ok, a).toBe(true)
      expect(a.slice(0, -3), 'no * in the body').not.toContain('*')
    }
    expect(answers.every((a) => / (ACK|NAK) /.test(a))).toBe(true)
    line.close()
  })
})
