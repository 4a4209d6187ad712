import { WireError } from './errors.js'

/**
 * Keccak-256 (the Ethereum hash), from `@ethwire/keccak`: WebAssembly where it loads, noble
 * elsewhere, synchronous either way. Header, transaction and receipt hashes and trie roots all
 * go through it.
 */
export { keccak256 } from '@ethwire/keccak'

const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))

function hexNoPrefix(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]
  return s
}

/** Lower-case hex with a `0x` prefix. */
export function bytesToHex(b: Uint8Array): string {
  return '0x' + hexNoPrefix(b)
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Hex (with or without `0x`) to bytes. Throws `WireError('ErrInvalidValue')` on bad input. */
export function hexToBytes(h: string): Uint8Array {
  const start = h.startsWith('0x') || h.startsWith('0X') ? 2 : 0
  const n = h.length - start
  if (n % 2 !== 0) throw new WireError('ErrInvalidValue', 'hex string of odd length')
  const out = new Uint8Array(n / 2)
  for (let i = 0; i < out.length; i++) {
    const a = nibble(h.charCodeAt(start + 2 * i))
    const b = nibble(h.charCodeAt(start + 2 * i + 1))
    if (a < 0 || b < 0) throw new WireError('ErrInvalidValue', 'invalid hex character')
    out[i] = (a << 4) | b
  }
  return out
}

/** Big-endian unsigned bytes to bigint (empty → 0n). */
export function bytesToBigInt(b: Uint8Array): bigint {
  const n = b.length
  if (n === 0) return 0n
  if (n <= 6) {
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + b[i]!
    return BigInt(v)
  }
  // Leading n % 8 bytes as a number, then 8-byte words (about 2.5x faster than parsing hex).
  const dv = new DataView(b.buffer, b.byteOffset, n)
  const head = n % 8
  let v = 0
  const h6 = head === 7 ? 1 : 0 // 7 bytes exceed 2^53: take the first one apart
  for (let i = h6; i < head; i++) v = v * 256 + b[i]!
  let r = h6 ? (BigInt(b[0]!) << 48n) | BigInt(v) : BigInt(v)
  for (let i = head; i < n; i += 8) r = (r << 64n) | dv.getBigUint64(i)
  return r
}

/** Big-endian bytes to a JS number; caller guarantees at most 6 bytes. */
export function bytesToNumber(b: Uint8Array): number {
  let v = 0
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i]!
  return v
}

/** Minimal big-endian encoding of a non-negative bigint (0n → empty). */
export function bigIntToBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new WireError('ErrInvalidValue', 'negative integer')
  if (n === 0n) return new Uint8Array(0)
  if (n < 0x1000000000000n) return numberToBytes(Number(n))
  let hex = n.toString(16)
  if (hex.length % 2) hex = '0' + hex
  return hexToBytes(hex)
}

/** Minimal big-endian encoding of a non-negative safe integer (0 → empty). */
export function numberToBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new WireError('ErrInvalidValue', `bad integer ${n}`)
  let len = 0
  for (let v = n; v > 0; v = Math.floor(v / 256)) len++
  const out = new Uint8Array(len)
  for (let i = len - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256
  return out
}

export function concatBytes(...bs: Uint8Array[]): Uint8Array {
  let len = 0
  for (const b of bs) len += b.length
  const out = new Uint8Array(len)
  let o = 0
  for (const b of bs) {
    out.set(b, o)
    o += b.length
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function utf8ToBytes(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}
