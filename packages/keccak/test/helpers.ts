import { keccak_256 } from '@noble/hashes/sha3.js'

/** The reference every test compares against: @noble/hashes directly, not through this package. */
export const reference = (b: Uint8Array): Uint8Array => keccak_256(b)

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Deterministic bytes (xorshift32), so a failure names a reproducible input. */
export function seededBytes(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
