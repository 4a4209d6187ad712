/**
 * The little RLP this package needs for auth/ack bodies, Hello and Disconnect. Message payloads
 * above the transport are opaque bytes here; their codecs live in `@ethwire/rlp-wire`.
 *
 * `rlpItemLength` exists because EIP-8 auth/ack plaintexts are an RLP list followed by random
 * padding: we find where the list ends, then decode only that part strictly.
 */
import { RlpxError } from './errors.js'

export type RlpItem = Uint8Array | RlpItem[]
export type RlpInput = Uint8Array | number | RlpInput[]

function encodeLength(len: number, offset: number): Uint8Array {
  if (len < 56) return Uint8Array.of(offset + len)
  const bytes: number[] = []
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Uint8Array.of(offset + 55 + bytes.length, ...bytes)
}

function toBytes(n: number): Uint8Array {
  const out: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256)
  return Uint8Array.from(out)
}

export function rlpEncode(input: RlpInput): Uint8Array {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) throw new RangeError('rlpEncode: bad integer')
    return rlpEncode(toBytes(input))
  }
  if (input instanceof Uint8Array) {
    if (input.length === 1 && input[0]! < 0x80) return input.slice()
    const prefix = encodeLength(input.length, 0x80)
    const out = new Uint8Array(prefix.length + input.length)
    out.set(prefix)
    out.set(input, prefix.length)
    return out
  }
  const parts = input.map(rlpEncode)
  let len = 0
  for (const p of parts) len += p.length
  const prefix = encodeLength(len, 0xc0)
  const out = new Uint8Array(prefix.length + len)
  out.set(prefix)
  let off = prefix.length
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

function bad(msg: string): never {
  throw new RlpxError('ErrProtocol', `rlp: ${msg}`)
}

/** Header of the item at `pos`: where its content starts and how long it is. */
function header(b: Uint8Array, pos: number): { list: boolean; start: number; len: number } {
  const p = b[pos]
  if (p === undefined) bad('truncated input')
  if (p < 0x80) return { list: false, start: pos, len: 1 }
  if (p <= 0xb7) {
    const len = p - 0x80
    if (len === 1 && (b[pos + 1] ?? 0) < 0x80) bad('single byte wrapped in a string')
    return { list: false, start: pos + 1, len }
  }
  if (p < 0xc0 || (p > 0xf7 && p <= 0xff)) {
    const ll = p < 0xc0 ? p - 0xb7 : p - 0xf7
    if (pos + 1 + ll > b.length) bad('truncated length')
    if (b[pos + 1] === 0) bad('length with leading zero')
    let len = 0
    for (let i = 0; i < ll; i++) len = len * 256 + b[pos + 1 + i]!
    if (len < 56) bad('long form for a short item')
    return { list: p >= 0xc0, start: pos + 1 + ll, len }
  }
  return { list: true, start: pos + 1, len: p - 0xc0 }
}

/** Total encoded length of the first item in `b` (prefix plus content). */
export function rlpItemLength(b: Uint8Array): number {
  const h = header(b, 0)
  const end = h.start + h.len
  if (end > b.length) bad('truncated item')
  return end
}

function decodeAt(b: Uint8Array, pos: number, end: number): [RlpItem, number] {
  const h = header(b, pos)
  const itemEnd = h.start + h.len
  if (itemEnd > end) bad('item runs past its parent')
  if (!h.list) return [b.subarray(h.start, itemEnd), itemEnd]
  const items: RlpItem[] = []
  let p = h.start
  while (p < itemEnd) {
    const [item, next] = decodeAt(b, p, itemEnd)
    items.push(item)
    p = next
  }
  return [items, itemEnd]
}

/** Strict decode of exactly one item; trailing bytes are an error. */
export function rlpDecode(b: Uint8Array): RlpItem {
  const [item, end] = decodeAt(b, 0, b.length)
  if (end !== b.length) bad('trailing bytes')
  return item
}

export function asList(item: RlpItem | undefined, what: string): RlpItem[] {
  if (!Array.isArray(item)) bad(`${what}: expected a list`)
  return item
}

export function asBytes(item: RlpItem | undefined, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) bad(`${what}: expected a string`)
  return item
}

/** An unsigned integer of at most 6 bytes, leniently accepting leading zeros (old peers). */
export function asUint(item: RlpItem | undefined, what: string): number {
  const b = asBytes(item, what)
  if (b.length > 6) bad(`${what}: integer too wide`)
  let v = 0
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i]!
  return v
}
