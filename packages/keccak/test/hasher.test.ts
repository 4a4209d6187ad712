import { describe, expect, it } from 'vitest'
import { createKeccak, type Keccak } from '../src/index.js'
import { reference, seededBytes, toHex } from './helpers.js'

const data = seededBytes(3, 1000)
const ref = (from: number, to: number) => toHex(reference(data.subarray(from, to)))
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

describe.each([
  ['wasm', createKeccak({ backend: 'wasm' })],
  ['noble', createKeccak({ backend: 'noble' })],
] as [string, Keccak][])('%s hasher state', (_name, k) => {
  it('digest() leaves the state running and can be read twice', () => {
    const h = k.createKeccak256().update(data.subarray(0, 300))
    expect(toHex(h.digest())).toBe(ref(0, 300))
    expect(toHex(h.digest())).toBe(ref(0, 300))
    h.update(data.subarray(300, 700))
    expect(toHex(h.digest())).toBe(ref(0, 700))
  })

  it('clone() copies the state: both go on independently', () => {
    for (const at of [0, 1, 135, 136, 137, 272, 500]) {
      const a = k.createKeccak256().update(data.subarray(0, at))
      const b = a.clone()
      a.update(data.subarray(at, 900))
      const other = seededBytes(at + 11, 77)
      b.update(other)
      expect(toHex(a.digest()), `a after clone at ${at}`).toBe(ref(0, 900))
      expect(toHex(b.digest()), `b after clone at ${at}`).toBe(
        toHex(reference(cat(data.subarray(0, at), other))),
      )
      // the clone of a clone, taken after the clone moved on
      const c = b.clone().update(data.subarray(0, 10))
      expect(toHex(c.digest())).toBe(
        toHex(reference(cat(data.subarray(0, at), other, data.subarray(0, 10)))),
      )
      expect(toHex(b.digest())).toBe(toHex(reference(cat(data.subarray(0, at), other))))
    }
  })

  it('interleaved hashers do not share state (the module memory is shared, the state is not)', () => {
    const hs = Array.from({ length: 5 }, () => k.createKeccak256())
    for (let i = 0; i < 1000; i += 50)
      hs.forEach((h, j) => {
        h.update(data.subarray(i, i + 50 + j))
        k.keccak256(data.subarray(0, i)) // one-shot hashing in between uses the same memory
      })
    hs.forEach((h, j) => {
      let want = new Uint8Array(0)
      for (let i = 0; i < 1000; i += 50) want = cat(want, data.subarray(i, i + 50 + j))
      expect(toHex(h.digest())).toBe(toHex(reference(want)))
    })
  })

  it('the RLPx MAC pattern: digest, feed a seed, digest, over many frames', () => {
    // egress MAC as transport-rlpx drives it; compared with a noble state used the same way
    const mine = k.createKeccak256().update(data.subarray(0, 32))
    const theirs = createKeccak({ backend: 'noble' }).createKeccak256().update(data.subarray(0, 32))
    for (let f = 0; f < 50; f++) {
      const body = data.subarray(f * 7, f * 7 + 16 * ((f % 9) + 1))
      for (const h of [mine, theirs]) {
        const seed = h.digest().subarray(0, 16)
        h.update(seed).update(body)
      }
      expect(toHex(mine.digest())).toBe(toHex(theirs.digest()))
    }
  })

  it('update() returns the hasher so calls chain', () => {
    const h = k.createKeccak256()
    expect(h.update(data)).toBe(h)
  })
})
