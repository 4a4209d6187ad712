/** Small byte helpers used inside the package. */
import { RlpxError } from './errors.js'

/**
 * An unsigned integer of at most 6 big-endian bytes, leniently accepting leading zeros (old peers
 * send them in Hello and auth/ack versions); rlp-wire's strict readers would refuse them.
 */
export function lenientUint(b: Uint8Array, what: string): number {
  if (b.length > 6) throw new RlpxError('ErrProtocol', `${what}: integer too wide`)
  let v = 0
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i]!
  return v
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError('xorBytes: length mismatch')
  const out = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

const hexChars = '0123456789abcdef'

/** Lower-case hex without a 0x prefix (node ids, key files, enode URLs). */
export function toHex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += hexChars[b[i]! >> 4]! + hexChars[b[i]! & 15]!
  return s
}

/** Parses hex with or without 0x; throws RangeError on odd length or a non-hex digit. */
export function fromHex(h: string): Uint8Array {
  const s = h.startsWith('0x') || h.startsWith('0X') ? h.slice(2) : h
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new RangeError('invalid hex')
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function uint16BE(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff)
}

/** Minimal big-endian bytes of a non-negative safe integer (0 → empty). */
export function uintToBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('uintToBytes: bad value')
  const out: number[] = []
  let v = n
  while (v > 0) {
    out.unshift(v % 256)
    v = Math.floor(v / 256)
  }
  return Uint8Array.from(out)
}

/** Big-endian unsigned integer of at most 6 bytes; leading zeros are rejected when `strict`. */
export function bytesToUint(b: Uint8Array, strict = true): number {
  if (b.length > 6) throw new RangeError('integer too wide')
  if (strict && b.length > 0 && b[0] === 0) throw new RangeError('integer with leading zero')
  let v = 0
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i]!
  return v
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()
export const utf8 = (s: string): Uint8Array => textEncoder.encode(s)
export const fromUtf8 = (b: Uint8Array): string => textDecoder.decode(b)
