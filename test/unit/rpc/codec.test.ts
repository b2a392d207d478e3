import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AcBinaryError, decodeValue, encodeValue } from '../../../src/main/rpc/codec.ts'

const hex = (s: string) => Uint8Array.from(s.split(' ').map((h) => parseInt(h, 16)))

describe('acbinary value codec', () => {
  it('round-trips any JSON-like value, bytes, dates and maps', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.maxSafeInteger(),
        fc.double(),
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ maxLength: 40 }),
        fc.date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z') }),
        fc.array(tie('v'), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 5 }),
      ),
    })).v
    fc.assert(
      fc.property(value, fc.boolean(), (v, intern) => {
        const back = decodeValue(encodeValue(v, { intern }))
        expect(back).toEqual(v)
      }),
      { numRuns: 400 },
    )
  })

  it('interns repeated strings of 4..64 characters only', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ position: i, driverName: 'Max Mustermann', cls: 'GT3' }))
    const on = encodeValue(rows)
    const off = encodeValue(rows, { intern: false })
    expect(on.length).toBeLessThan(off.length / 2)
    expect(decodeValue(on)).toEqual(rows)
    // "cls" (3 chars) and "GT3" stay plain FixStr even though repeated.
    expect(Buffer.from(on).includes(Buffer.from([0x6a, 0x63, 0x6c, 0x73]))).toBe(true)
  })

  it('writes bigint beyond safe range as Int64 and reads it back as bigint', () => {
    expect(decodeValue(encodeValue(2n ** 62n))).toBe(2n ** 62n)
    expect(decodeValue(encodeValue(-(2n ** 63n)))).toBe(-(2n ** 63n))
    expect(() => encodeValue(2n ** 63n)).toThrow(/Int64 range/)
  })

  it('refuses what it cannot write', () => {
    expect(() => encodeValue(() => 1)).toThrow(AcBinaryError)
    expect(() => encodeValue(new (class Car {})())).toThrow(/instance of Car/)
    expect(() => encodeValue(new Date(NaN))).toThrow(/invalid Date/)
    expect(() => encodeValue(new Date('+010000-01-01T00:00:00Z'))).toThrow(/outside the DateTime range/)
  })

  it.each([
    ['', /truncated header version/],
    ['02 90 5F', /header version 0x02/],
    ['01 91 5F', /header flags 0x91/],
    ['01 90', /truncated type code/],
    ['01 90 05', /FixObj slot 5/],
    ['01 90 41', /ObjectRef/],
    ['01 90 62', /unknown type code 0x62/],
    ['01 90 5F 5F', /1 trailing byte/],
    ['01 90 42 FF FF FF FF 0F', /Array count 4294967295 .* exceeds/],
    ['01 90 45 FF FF FF FF FF 01', /longer than 5 bytes/],
    ['01 90 45 80 80 80 80 7F', /exceeds 32 bits/],
    ['01 90 6A 61 62', /truncated FixStr/],
    ['01 90 69 C3 28', /not valid UTF-8/],
    ['01 90 5C 00', /refers to index 0, only 0 interned/],
    ['01 90 5E 01 01 61', /has index 1, expected 0/],
    ['01 90 40 01 D1 D1', /key at offset 4 is not a string/],
    ['01 90 40 02 69 61 61 D1 69 61 61 D2', /duplicate Object key "aa"/],
    ['01 90 40 01 70 5F 5F 70 72 6F 74 6F 5F 5F D1', /__proto__/],
    ['01 90 4A 00 00 00 00 00 00 00 00 07', /DateTime kind 7/],
    ['01 90 5A FF FF 07', /Char .* out of range/],
  ])('rejects %s precisely', (bytes, message) => {
    expect(() => decodeValue(bytes ? hex(bytes) : new Uint8Array())).toThrow(message)
  })

  it('bounds nesting depth on read', () => {
    const deep = new Uint8Array([1, 0x90, ...new Array(100).fill(0x42).flatMap((x) => [x, 1]), 0x5f])
    expect(() => decodeValue(deep)).toThrow(/nested deeper than 64/)
  })
})
