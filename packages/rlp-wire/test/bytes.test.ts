import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  bigIntToBytes,
  bytesToBigInt,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  isWireError,
  keccak256,
} from '../src/index.js'

// Reproducible property runs: a fixed seed by default, another through FC_SEED.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261202) })

describe('bytes utilities', () => {
  it('bytesToBigInt agrees with hex parsing for every length 0..40, on subarrays', () => {
    for (let n = 0; n <= 40; n++) {
      for (const fill of [0x01, 0x7f, 0xff]) {
        const buf = new Uint8Array(n + 7).fill(fill)
        const b = buf.subarray(3, 3 + n)
        const want = n === 0 ? 0n : BigInt(bytesToHex(b))
        expect(bytesToBigInt(b)).toBe(want)
      }
    }
  })
  it('bigIntToBytes is minimal and inverts bytesToBigInt', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 300n) - 1n }), (n) => {
        const b = bigIntToBytes(n)
        if (b.length > 0) expect(b[0]).not.toBe(0)
        expect(bytesToBigInt(b)).toBe(n)
      }),
      { numRuns: 500 },
    )
    expect(bigIntToBytes(0n).length).toBe(0)
    expect(
      isWireError(
        (() => {
          try {
            bigIntToBytes(-1n)
          } catch (e) {
            return e
          }
        })(),
        'ErrInvalidValue',
      ),
    ).toBe(true)
  })
  it('hex both ways, with and without 0x; bad hex is a WireError', () => {
    expect(bytesToHex(hexToBytes('00ff10'))).toBe('0x00ff10')
    expect(bytesToHex(hexToBytes('0xABcd'))).toBe('0xabcd')
    expect(() => hexToBytes('0x123')).toThrow(/ErrInvalidValue/)
    expect(() => hexToBytes('zz')).toThrow(/ErrInvalidValue/)
  })
  it('keccak256, concat, equal', () => {
    expect(bytesToHex(keccak256(new Uint8Array(0)))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    )
    expect(concatBytes(Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(2, 3))).toEqual(
      Uint8Array.of(1, 2, 3),
    )
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true)
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false)
  })
})
