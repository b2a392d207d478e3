import { afterEach, describe, expect, it } from 'vitest'
import type { TrafficEntry } from '../../../src/main/device/session.ts'
import { memoryPair, type MemoryTransport } from '../../../src/main/device/transport/memory.ts'
import { toHex } from '../../../src/main/device/visca/codec.ts'
import { ViscaSession } from '../../../src/main/device/visca/driver.ts'

// Every VISCA error reply, scripted byte for byte by a fake camera (the emulator never produces some
// of them for a well-behaved host): each fails the right command with a readable reason, or is
// recovered from.

let cleanup: Array<() => void> = []
afterEach(() => {
  for (const f of cleanup) f()
  cleanup = []
})

/** A camera that answers AddressSet/IF_Clear/inquiries, and hands every command packet to `onCommand`. */
function fakeCamera(onCommand: (hex: string, reply: (...packets: number[][]) => void) => void) {
  const [host, dev] = memoryPair()
  const reply = (...packets: number[][]) => {
    for (const p of packets) dev.write(Uint8Array.from(p))
  }
  let acc: number[] = []
  dev.on('data', (bytes) => {
    for (const b of bytes) {
      acc.push(b)
      if (b !== 0xff) continue
      const hex = toHex(acc)
      acc = []
      if (hex === '88 30 01 FF') reply([0x88, 0x30, 0x02, 0xff])
      else if (hex === '88 01 00 01 FF') reply([0x88, 0x01, 0x00, 0x01, 0xff])
      else if (hex === '81 09 00 02 FF') reply([0x90, 0x50, 0, 1, 5, 0x19, 1, 0, 2, 0xff])
      else if (hex.startsWith('81 09 04 00')) reply([0x90, 0x50, 0x02, 0xff])
      else if (/^81 09 04 (39|35|53) FF$/.test(hex)) reply([0x90, 0x50, 0x00, 0xff]) // modes: one byte
      else if (hex.startsWith('81 09')) reply([0x90, 0x50, 0x00, 0x00, 0x00, 0x05, 0xff]) // positions: 00 00 0p 0q
      else onCommand(hex, reply)
    }
  })
  const session = new ViscaSession(host, { answerTimeoutMs: 200, completionTimeoutMs: 300 })
  const traffic: TrafficEntry[] = []
  session.on('traffic', (e) => traffic.push(e))
  cleanup.push(() => session.close(new Error('end')), () => host.close())
  return { session, traffic, dev: dev as MemoryTransport }
}

const ACK1 = [0x90, 0x41, 0xff]
const DONE1 = [0x90, 0x51, 0xff]

describe('VISCA error replies', () => {
  it('buffer full: the command is sent again once, then succeeds', async () => {
    let n = 0
    const { session } = fakeCamera((_hex, reply) => (n++ === 0 ? reply([0x90, 0x60, 0x03, 0xff]) : reply(ACK1, DONE1)))
    await session.handshake()
    expect(await session.command('zoom', { value: 50 }).then(() => 'ok')).toBe('ok')
    expect(n).toBe(2)
  })

  it('buffer full twice: fails as busy', async () => {
    const { session } = fakeCamera((_hex, reply) => reply([0x90, 0x60, 0x03, 0xff]))
    await session.handshake()
    await expect(session.command('zoom', { value: 50 })).rejects.toMatchObject({ code: 'busy', message: expect.stringMatching(/Command buffer full/) })
  })

  it('message length error and syntax error fail the waiting command with their names', async () => {
    const { session } = fakeCamera((hex, reply) => reply([0x90, 0x60, hex.includes(' 47 ') ? 0x01 : 0x02, 0xff]))
    await session.handshake()
    await expect(session.command('zoom', { value: 50 })).rejects.toThrow(/Message length error \(zoom 50\)/)
    await expect(session.command('focus-mode', { value: 'auto' })).rejects.toThrow(/Syntax error: the camera does not know focus auto/)
  })

  it('command canceled in a socket fails that command; not executable before ACK fails the waiting one', async () => {
    const { session } = fakeCamera((hex, reply) => (hex.includes(' 47 ') ? reply(ACK1, [0x90, 0x61, 0x04, 0xff]) : reply([0x90, 0x61, 0x41, 0xff])))
    await session.handshake()
    await expect(session.command('zoom', { value: 50 })).rejects.toThrow(/Command canceled \(zoom 50\)/)
    await expect(session.command('focus', { value: 50 })).rejects.toThrow(/Command not executable \(focus 50\): focus needs focus-mode = manual/)
  })

  it('an abort while in a socket sends CommandCancel; "no socket" and stray replies are logged, not fatal', async () => {
    const seen: string[] = []
    const { session, traffic } = fakeCamera((hex, reply) => {
      seen.push(hex)
      if (hex.includes(' 47 ')) reply(ACK1) // never completes
      if (hex === '81 21 FF') reply([0x90, 0x61, 0x04, 0xff], [0x90, 0x62, 0x05, 0xff], [0xa0, 0x41, 0xff])
    })
    await session.handshake()
    const ac = new AbortController()
    const p = session.command('zoom', { value: 50 }, ac.signal)
    await new Promise((r) => setTimeout(r, 20))
    ac.abort()
    await expect(p).rejects.toThrow(/aborted/)
    await new Promise((r) => setTimeout(r, 20))
    expect(seen).toContain('81 21 FF')
    expect(traffic.some((e) => /No socket/.test(e.text))).toBe(true)
    expect(traffic.some((e) => /camera 2, we talk to 1/.test(e.text))).toBe(true)
  })

  it('a command that is ACKed but never completes fails after the completion timeout', async () => {
    const { session } = fakeCamera((_hex, reply) => reply(ACK1))
    await session.handshake()
    await expect(session.command('zoom', { value: 50 })).rejects.toThrow(/did not complete zoom 50 within 300 ms/)
  })

  it('a camera that never answers AddressSet fails the handshake clearly', async () => {
    const [host] = memoryPair()
    const s = new ViscaSession(host, { answerTimeoutMs: 50 })
    cleanup.push(() => s.close(new Error('end')))
    await expect(s.handshake()).rejects.toThrow('Camera did not answer AddressSet within 50 ms')
  })
})
