import { describe, expect, it } from 'vitest'
import { createKeccak, type Keccak, wasmBatchMaxSpans } from '../src/index.js'
import { reference, seededBytes, toHex } from './helpers.js'

const maxLen = 1100
const wasm = createKeccak({ backend: 'wasm' })
const noble = createKeccak({ backend: 'noble' })

// Independent random inputs of every length 0..1100, and one long buffer whose prefixes are the
// inputs of the split tests.
const inputs = Array.from({ length: maxLen + 1 }, (_, n) => seededBytes(1000 + n, n))
const want = inputs.map((b) => toHex(reference(b)))
const long = seededBytes(7, maxLen)
const prefixWant = Array.from({ length: maxLen + 1 }, (_, n) => reference(long.subarray(0, n)))
const same = (a: Uint8Array, b: Uint8Array): boolean => {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false
  return a.length === 32 && b.length === 32
}

// The noble backend wraps @noble/hashes itself, so its split test (a check of the wrapper's
// digest-without-ending and clone) stops at 300 bytes; the WebAssembly hasher gets every split.
describe.each([
  ['wasm', wasm, maxLen],
  ['noble', noble, 300],
] as [string, Keccak, number][])('%s equals @noble/hashes', (_name, k, splitMaxLen) => {
  it('one-shot on random inputs of every length 0..1100', () => {
    for (let n = 0; n <= maxLen; n++)
      expect(toHex(k.keccak256(inputs[n]!)), `length ${n}`).toBe(want[n])
  })

  it('keccak256Many on all 1101 inputs at once (several calls into the module)', () => {
    expect(k.keccak256Many(inputs).map(toHex)).toEqual(want)
    expect(k.keccak256Many([])).toEqual([])
  })

  it(`two updates split at every boundary of every length 0..${splitMaxLen}, digest read at the split`, () => {
    let checked = 0
    for (let n = 0; n <= splitMaxLen; n++) {
      const whole = long.subarray(0, n)
      for (let cut = 0; cut <= n; cut++) {
        const h = k.createKeccak256().update(whole.subarray(0, cut))
        if (!same(h.digest(), prefixWant[cut]!)) throw new Error(`prefix ${cut} of ${n}`)
        if (!same(h.update(whole.subarray(cut)).digest(), prefixWant[n]!))
          throw new Error(`length ${n} split at ${cut}`)
        checked++
      }
    }
    expect(checked).toBe(((splitMaxLen + 1) * (splitMaxLen + 2)) / 2)
  })

  it('byte-at-a-time updates, digest after every byte', () => {
    const h = k.createKeccak256()
    for (let n = 1; n <= maxLen; n++) {
      h.update(long.subarray(n - 1, n))
      if (!same(h.digest(), prefixWant[n]!)) throw new Error(`after byte ${n}`)
    }
  })

  it('inputs larger than the module input area, one-shot, batched and in random pieces', () => {
    const sizes = [65_536, 131_072, 200_001, 1 << 20]
    const bigs = sizes.map((n, i) => seededBytes(50 + i, n))
    const bigWant = bigs.map((b) => toHex(reference(b)))
    expect(bigs.map((b) => toHex(k.keccak256(b)))).toEqual(bigWant)
    // small spans around big ones: the batch packer must flush and hash the big ones alone
    const mixed = [inputs[5]!, bigs[0]!, inputs[600]!, inputs[0]!, bigs[2]!, inputs[1100]!]
    expect(k.keccak256Many(mixed).map(toHex)).toEqual(mixed.map((b) => toHex(reference(b))))
    const rnd = seededBytes(99, 4096)
    bigs.forEach((b, i) => {
      const h = k.createKeccak256()
      let off = 0
      for (let j = 0; off < b.length; j++) {
        const step = Math.min(
          b.length - off,
          (rnd[j % rnd.length]! << 8) | rnd[(j + 1) % rnd.length]!,
        )
        h.update(b.subarray(off, off + step))
        off += step
      }
      expect(toHex(h.digest())).toBe(bigWant[i])
    })
  })

  it(`more than ${wasmBatchMaxSpans} spans in one keccak256Many call`, () => {
    const spans = Array.from({ length: 3 * wasmBatchMaxSpans + 7 }, (_, i) => inputs[i % 40]!)
    expect(k.keccak256Many(spans).map(toHex)).toEqual(spans.map((b) => toHex(reference(b))))
  })

  it('hashes a subarray by its own bytes, not by its buffer', () => {
    const view = long.subarray(333, 333 + 500)
    expect(toHex(k.keccak256(view))).toBe(toHex(reference(view.slice())))
    expect(toHex(k.keccak256Many([view])[0]!)).toBe(toHex(reference(view.slice())))
  })

  it('returns fresh arrays the caller may keep and change', () => {
    const a = k.keccak256(inputs[10]!)
    a.fill(0)
    expect(toHex(k.keccak256(inputs[10]!))).toBe(want[10])
    const h = k.createKeccak256().update(inputs[20]!)
    h.digest().fill(0)
    expect(toHex(h.digest())).toBe(want[20])
  })
})
