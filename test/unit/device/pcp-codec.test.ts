import { describe, expect, it } from 'vitest'
import { checksum, encodeFrame, LineSplitter, NAK, PCP_MAX_LINE, parseFrame, parsePairs } from '../../../src/main/device/pcp/codec.ts'

describe('PCP framing', () => {
  it('encodes seq, verb, args and an XOR checksum', () => {
    const f = encodeFrame(1, 'SET', ['L1=1'])
    const body = '01 SET L1=1'
    expect(f).toBe(`${body}*${checksum(body).toString(16).toUpperCase().padStart(2, '0')}\n`)
    expect(parseFrame(f.trimEnd())).toEqual({ ok: true, frame: { seq: 1, verb: 'SET', args: ['L1=1'] } })
  })

  it('refuses to encode non-printable or over-long frames', () => {
    expect(() => encodeFrame(1, 'SET', ['A=\x01'])).toThrow(RangeError)
    expect(() => encodeFrame(1, 'SET', ['A=' + 'x'.repeat(PCP_MAX_LINE)])).toThrow(RangeError)
    expect(() => encodeFrame(256, 'PING')).toThrow(RangeError)
  })

  it('rejects a bad checksum with BAD_CHECKSUM and keeps the seq guess', () => {
    const good = encodeFrame(0x2a, 'PING').trimEnd()
    const bad = good.slice(0, -2) + (good.endsWith('00') ? '01' : '00')
    const r = parseFrame(bad)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.code).toBe(NAK.BAD_CHECKSUM)
      expect(r.seq).toBe(0x2a)
    }
  })

  it.each([
    ['no checksum', '01 PING'],
    ['lowercase verb', withCk('01 ping')],
    ['seq not hex', withCk('1G PING')],
    ['double space', withCk('01 SET  L1=1')],
    ['no verb', withCk('01')],
  ])('rejects a malformed frame: %s', (_name, line) => {
    const r = parseFrame(line)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.code).toBe(NAK.BAD_FRAME)
  })

  it('parses KEY=VALUE pairs and refuses anything else', () => {
    expect(parsePairs(['L1=1', 'RES=1920x1080'])).toEqual([
      ['L1', '1'],
      ['RES', '1920x1080'],
    ])
    expect(parsePairs(['L1'])).toBeNull()
    expect(parsePairs(['=1'])).toBeNull()
    expect(parsePairs(['L1='])).toBeNull()
  })
})

describe('LineSplitter', () => {
  it('joins split frames and splits merged ones', () => {
    const s = new LineSplitter()
    const a = encodeFrame(1, 'PING')
    const b = encodeFrame(2, 'GET')
    expect(s.push(a.slice(0, 3))).toEqual([])
    expect(s.push(a.slice(3) + b + a.slice(0, 2))).toEqual([
      { kind: 'line', text: a.trimEnd() },
      { kind: 'line', text: b.trimEnd() },
    ])
    expect(s.push(a.slice(2))).toEqual([{ kind: 'line', text: a.trimEnd() }])
  })

  it('drops CR, skips empty lines', () => {
    const s = new LineSplitter()
    expect(s.push('\n\r\n01 PING*00\r\n')).toEqual([{ kind: 'line', text: '01 PING*00' }])
  })

  it('reports garbage bytes as BAD_FRAME and recovers on the next line', () => {
    const s = new LineSplitter()
    const ev = s.push(Buffer.concat([Buffer.from([0, 0xff, 0x13]), Buffer.from('junk\n' + encodeFrame(3, 'PING'))]))
    expect(ev[0]).toMatchObject({ kind: 'error', code: NAK.BAD_FRAME })
    expect(ev[1]).toEqual({ kind: 'line', text: encodeFrame(3, 'PING').trimEnd() })
  })

  it('drops an over-long line whole, once, even when it arrives in pieces, and stays bounded', () => {
    const s = new LineSplitter()
    const events = []
    for (let i = 0; i < 1000; i++) events.push(...s.push('x'.repeat(100)))
    expect(events).toEqual([expect.objectContaining({ kind: 'error', code: NAK.TOO_LONG })])
    expect(s.push('tail\n' + encodeFrame(4, 'PING'))).toEqual([{ kind: 'line', text: encodeFrame(4, 'PING').trimEnd() }])
  })

  it('accepts a line of exactly the maximum length', () => {
    const s = new LineSplitter()
    const line = 'y'.repeat(PCP_MAX_LINE)
    expect(s.push(line + '\n')).toEqual([{ kind: 'line', text: line }])
    expect(s.push('z'.repeat(PCP_MAX_LINE + 1) + '\n')[0]).toMatchObject({ kind: 'error', code: NAK.TOO_LONG })
  })
})

function withCk(body: string): string {
  return `${body}*${checksum(body).toString(16).toUpperCase().padStart(2, '0')}`
}

describe('PCP limits', () => {
  it('the longest full-state answer fits in one frame', async () => {
    const { PCP_KEYS } = await import('../../../src/main/device/pcp/keys.ts')
    const worst = PCP_KEYS.map((k) => {
      const d = k.def
      const v = d.type === 'integer' ? String(d.max) : d.values ? d.values.reduce((a, b) => (a.length > b.length ? a : b)) : '1'
      return `${k.code}=${v}`
    })
    expect(() => encodeFrame(0xff, 'ACK', ['GET', ...worst])).not.toThrow()
  })
})
