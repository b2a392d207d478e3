import { afterEach, describe, expect, it } from 'vitest'
import { PcpEmulator } from '../../../src/main/device/emulators/pcp-emulator.ts'
import { encodeFrame } from '../../../src/main/device/pcp/codec.ts'
import { PcpSession } from '../../../src/main/device/pcp/driver.ts'
import type { TrafficEntry } from '../../../src/main/device/session.ts'
import { memoryPair, type MemoryTransport } from '../../../src/main/device/transport/memory.ts'

let cleanup: Array<() => void> = []
afterEach(() => {
  for (const f of cleanup) f()
  cleanup = []
})

async function setup(opts: { answerTimeoutMs?: number } = {}) {
  const [host, dev] = memoryPair()
  const emu = new PcpEmulator()
  emu.attach(dev)
  const session = new PcpSession(host, { answerTimeoutMs: opts.answerTimeoutMs ?? 100, resyncIntervalMs: 50 })
  const traffic: TrafficEntry[] = []
  session.on('traffic', (e) => traffic.push(e))
  cleanup.push(() => {
    session.close(new Error('test over'))
    emu.stop()
    host.close()
  })
  return { host, dev, emu, session, traffic }
}

const next = <T>(emitter: { once(e: string, f: (v: T) => void): unknown }, event: string) => new Promise<T>((r) => emitter.once(event, r))

describe('PCP session against the emulator', () => {
  it('identifies, reads the full state and learns the capabilities', async () => {
    const { session } = await setup()
    const info = await session.handshake()
    expect(info).toMatchObject({ protocol: 'pcp', firmware: '1.0.0' })
    expect(session.capabilities.size).toBe(23)
    const all = await session.readAll()
    expect(Object.keys(all)).toHaveLength(23)
    expect(all).toMatchObject({ brightness: 50, record: 'off', 'cam1-light': false })
  })

  it('keeps asking ID while a device resets on open (Arduino), and gives up after its rounds', async () => {
    const [host, dev] = memoryPair()
    const emu = new PcpEmulator()
    const patient = new PcpSession(host, { answerTimeoutMs: 50, idRounds: 3 })
    cleanup.push(() => patient.close(new Error('end')), () => emu.stop())
    const late = setTimeout(() => emu.attach(dev, { boot: true }), 150) // "bootloader" done after 150 ms
    cleanup.push(() => clearTimeout(late))
    expect((await patient.handshake()).firmware).toBe('1.0.0')

    const [host2] = memoryPair()
    const hasty = new PcpSession(host2, { answerTimeoutMs: 50, idRounds: 1 })
    cleanup.push(() => hasty.close(new Error('end')))
    await expect(hasty.handshake()).rejects.toThrow('Device did not answer ID within 100 ms')
  })

  it('applies writes and reports per-key refusals from NAKs', async () => {
    const { session, emu } = await setup()
    await session.handshake()
    emu.setHead2(false)
    const r = await session.apply({ brightness: 42, 'cam1-light': true, 'main-camera': 2, snap: true })
    expect(r.brightness).toEqual({ ok: true, value: 42 })
    expect(r['cam1-light']).toEqual({ ok: true, value: true })
    expect(r.snap).toEqual({ ok: true, value: true })
    expect(r['main-camera']).toMatchObject({ ok: false, reason: expect.stringContaining('head 2 not attached') })
    expect(emu.state.brightness).toBe(42)
    expect(emu.state.snap).toBe(false)
  })

  it('turns a button press into a change event', async () => {
    const { session, emu } = await setup()
    await session.handshake()
    const change = next(session, 'change')
    emu.press('light1')
    expect(await change).toEqual({ 'cam1-light': true })
  })

  it('reports head 2 unplugged with its consequences', async () => {
    const { session, emu } = await setup()
    await session.handshake()
    await session.apply({ 'main-camera': 2, 'cam2-light': true })
    const change = next(session, 'change')
    emu.press('head2')
    expect(await change).toEqual({ 'cam2-exists': false, 'cam2-light': false, 'main-camera': 1 })
  })

  it('retries once under the same seq when an answer is lost, and the device does not apply twice', async () => {
    const { session, emu, traffic } = await setup()
    await session.handshake()
    emu.fault = { kind: 'corrupt' }
    const r = await session.apply({ record: 'on' })
    expect(r.record).toEqual({ ok: true, value: 'on' })
    expect(traffic.some((e) => e.dir === 'error' && /checksum/.test(e.text))).toBe(true)
    const sets = traffic.filter((e) => e.dir === 'tx' && e.raw.includes('SET'))
    expect(sets).toHaveLength(2)
    expect(sets[0]!.raw).toBe(sets[1]!.raw)
  })

  it('fails a command clearly when the device never answers', async () => {
    const { session, emu } = await setup({ answerTimeoutMs: 30 })
    await session.handshake()
    emu.fault = { kind: 'silent' }
    const r = await session.apply({ brightness: 10 })
    expect(r.brightness).toEqual({ ok: false, reason: 'Device did not answer SET within 60 ms' })
  })

  it('ignores a late answer for an older seq and matches the right one', async () => {
    const { session, emu, traffic } = await setup({ answerTimeoutMs: 30 })
    await session.handshake()
    emu.fault = { kind: 'slow', delayMs: 250 }
    const first = await session.apply({ brightness: 11 })
    expect(first.brightness).toMatchObject({ ok: false })
    emu.fault = { kind: 'none' }
    await new Promise((r) => setTimeout(r, 350))
    const second = await session.apply({ brightness: 12 })
    expect(second.brightness).toEqual({ ok: true, value: 12 })
    expect(traffic.some((e) => /stale|nothing in flight/.test(e.text))).toBe(true)
  })

  it('survives garbage on the line and resyncs', async () => {
    const { session, emu, traffic } = await setup()
    await session.handshake()
    emu.fault = { kind: 'garbage' }
    const r = await session.apply({ contrast: 70 })
    expect(r.contrast).toEqual({ ok: true, value: 70 })
    expect(traffic.filter((e) => e.dir === 'error').length).toBeGreaterThanOrEqual(2)
  })

  it('answers an unreadable host frame with NAK 00 and the host resends', async () => {
    const { host, session, traffic } = await setup()
    await session.handshake()
    host.write(Buffer.from([0x01, 0x02, 0x0a]))
    const r = await session.apply({ saturation: 33 })
    expect(r.saturation).toEqual({ ok: true, value: 33 })
    expect(traffic.some((e) => e.dir === 'rx' && e.raw.startsWith('00 NAK 02'))).toBe(true)
  })

  it('detects lost events by the event sequence and resyncs', async () => {
    const { session, emu, dev } = await setup()
    await session.handshake()
    dev.write(encodeFrame(0, 'EVT', ['L1=1'])) // hand-made event, seq 00
    expect(await next(session, 'change')).toEqual({ 'cam1-light': true })
    ;(emu.state as { gain: number }).gain = 77 // changed, and its event "lost"
    const changes: unknown[] = []
    session.on('change', (c) => changes.push(c))
    dev.write(encodeFrame(9, 'EVT', ['L2=0'])) // seq 09, expected 01: a gap
    await new Promise((r) => setTimeout(r, 100))
    expect(changes).toContainEqual({ gain: 77, 'cam1-light': false })
  })

  it('resyncs when the device reboots', async () => {
    const { session, emu } = await setup()
    await session.handshake()
    ;(emu.state as { brightness: number }).brightness = 5 // changed behind the host's back
    const change = next(session, 'change')
    emu.reboot()
    expect(await change).toEqual({ brightness: 5 })
  })

  it('fails in-flight and queued commands when the line closes', async () => {
    const { session, emu, dev } = await setup({ answerTimeoutMs: 1000 })
    await session.handshake()
    emu.fault = { kind: 'silent' }
    const lost = next<Error>(session, 'lost')
    const p1 = session.apply({ brightness: 1 })
    const p2 = session.apply({ brightness: 2 })
    setTimeout(() => dev.close(new Error('unplugged')), 20)
    await expect(p1).rejects.toThrow(/disconnected/i)
    await expect(p2).rejects.toThrow(/disconnected|not connected/i)
    expect((await lost).message).toMatch(/peer closed|disconnected/i)
  })

  it('refuses commands beyond the queue bound', async () => {
    const [host, dev] = memoryPair()
    const emu = new PcpEmulator()
    emu.attach(dev)
    const session = new PcpSession(host, { maxQueue: 2, answerTimeoutMs: 200 })
    cleanup.push(() => session.close(new Error('x')), () => emu.stop())
    await session.handshake()
    emu.fault = { kind: 'silent' }
    const ps = [1, 2, 3, 4].map((v) => session.apply({ brightness: v }))
    const r = await ps[3]
    expect(r.brightness).toMatchObject({ ok: false, reason: expect.stringMatching(/busy/) })
    session.close(new Error('done'))
    await Promise.allSettled(ps)
  })

  it('aborts a command on signal and forgets it', async () => {
    const { session, emu } = await setup({ answerTimeoutMs: 1000 })
    await session.handshake()
    emu.fault = { kind: 'silent' }
    const ac = new AbortController()
    const p = session.apply({ brightness: 3 }, ac.signal)
    setTimeout(() => ac.abort(), 10)
    await expect(p).rejects.toThrow(/aborted/)
    emu.fault = { kind: 'none' }
    expect((await session.apply({ brightness: 4 })).brightness).toEqual({ ok: true, value: 4 })
  })
})

export type { MemoryTransport }
