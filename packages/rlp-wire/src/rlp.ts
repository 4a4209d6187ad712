/**
 * Strict RLP. The encoder writes into one growing buffer; the decoder returns subarrays of the
 * input (no copies) and rejects every non-canonical form, trailing bytes and nesting deeper than
 * {@link maxRlpDepth}.
 */
import { bytesToBigInt, bytesToNumber, hexToBytes, utf8ToBytes } from './bytes.js'
import { maxRlpDepth } from './constants.js'
import { WireError } from './errors.js'

export type RlpItem = Uint8Array | RlpItem[]

/** Bytes that are already RLP-encoded; the encoder copies them as they are. */
export class RlpRaw {
  constructor(readonly bytes: Uint8Array) {}
}
/** Wraps already-encoded RLP for inclusion in {@link rlpEncode} input. */
export function rlpRaw(bytes: Uint8Array): RlpRaw {
  return new RlpRaw(bytes)
}

/**
 * Encoder input: bytes; non-negative integers (minimal big-endian); strings (`0x…` hex, else UTF-8);
 * `null`/`undefined` as the empty string; lists; pre-encoded {@link RlpRaw}.
 */
export type RlpInput =
  | Uint8Array
  | bigint
  | number
  | string
  | null
  | undefined
  | RlpRaw
  | RlpInput[]

class Writer {
  buf = new Uint8Array(256)
  pos = 0
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const nb = new Uint8Array(size)
    nb.set(this.buf.subarray(0, this.pos))
    this.buf = nb
  }
  writeBytes(b: Uint8Array): void {
    const n = b.length
    if (n === 1 && b[0]! < 0x80) {
      this.ensure(1)
      this.buf[this.pos++] = b[0]!
      return
    }
    this.ensure(n + 9)
    this.writeHeader(n, 0x80)
    this.buf.set(b, this.pos)
    this.pos += n
  }
  writeHeader(len: number, base: number): void {
    this.pos = writeRlpHeader(this.buf, this.pos, len, base)
  }
  writeUint(n: number): void {
    this.ensure(9)
    if (n === 0) {
      this.buf[this.pos++] = 0x80
      return
    }
    if (n < 0x80) {
      this.buf[this.pos++] = n
      return
    }
    let len = 0
    for (let v = n; v > 0; v = Math.floor(v / 256)) len++
    this.buf[this.pos++] = 0x80 + len
    for (let i = len - 1, v = n; i >= 0; i--, v = Math.floor(v / 256))
      this.buf[this.pos + i] = v % 256
    this.pos += len
  }
  write(x: RlpInput, depth: number): void {
    if (x instanceof Uint8Array) {
      this.writeBytes(x)
      return
    }
    if (Array.isArray(x)) {
      if (depth > maxRlpDepth) throw new WireError('ErrInvalidValue', 'RLP input nested too deeply')
      this.ensure(1)
      const start = this.pos
      this.pos += 1 // reserve a 1-byte header; shifted if the list is long
      for (let i = 0; i < x.length; i++) this.write(x[i], depth + 1)
      const len = this.pos - start - 1
      if (len <= 55) {
        this.buf[start] = 0xc0 + len
        return
      }
      const ll = lengthOfLength(len)
      this.ensure(ll)
      this.buf.copyWithin(start + 1 + ll, start + 1, this.pos)
      this.pos = start
      this.writeHeader(len, 0xc0)
      this.pos += len
      return
    }
    if (typeof x === 'number') {
      if (!Number.isSafeInteger(x) || x < 0) {
        throw new WireError('ErrInvalidValue', `bad integer ${x}`)
      }
      this.writeUint(x)
      return
    }
    if (typeof x === 'bigint') {
      if (x < 0n) throw new WireError('ErrInvalidValue', 'negative integer')
      if (x < 0x1000000000000n) {
        this.writeUint(Number(x))
        return
      }
      let hex = x.toString(16)
      if (hex.length % 2) hex = '0' + hex
      this.writeBytes(hexToBytes(hex))
      return
    }
    if (typeof x === 'string') {
      this.writeBytes(x.startsWith('0x') ? hexToBytes(x) : utf8ToBytes(x))
      return
    }
    if (x === null || x === undefined) {
      this.ensure(1)
      this.buf[this.pos++] = 0x80
      return
    }
    if (x instanceof RlpRaw) {
      this.ensure(x.bytes.length)
      this.buf.set(x.bytes, this.pos)
      this.pos += x.bytes.length
      return
    }
    throw new WireError('ErrInvalidValue', 'unsupported RLP input')
  }
}

/** Bytes needed for `len` as a big-endian length (the long form of an RLP header). Internal to the package. */
export function lengthOfLength(len: number): number {
  let ll = 0
  for (let v = len; v > 0; v = Math.floor(v / 256)) ll++
  return ll
}

/**
 * Writes the RLP header of a string (`base` 0x80) or list (`base` 0xc0) of `len` bytes into `out`
 * at `o`; returns the offset after it. Internal to the package (the trie writes nodes with it).
 */
export function writeRlpHeader(out: Uint8Array, o: number, len: number, base: number): number {
  if (len <= 55) {
    out[o] = base + len
    return o + 1
  }
  const ll = lengthOfLength(len)
  out[o] = base + 55 + ll
  for (let i = ll, v = len; i >= 1; i--, v = Math.floor(v / 256)) out[o + i] = v % 256
  return o + 1 + ll
}

// One scratch writer for every top-level encode (the writer calls nothing that encodes, so it is
// never re-entered): a fresh 256-byte buffer per call was a measurable share of a fast sync's
// trie-root work. A buffer grown past 1 MiB is not kept.
const scratch = new Writer()
const keepBytes = 1 << 20

/** RLP-encode (canonical). */
export function rlpEncode(item: RlpInput): Uint8Array {
  if (item instanceof Uint8Array) return encodeString(item)
  const w = scratch
  w.pos = 0
  try {
    w.write(item, 0)
    return w.buf.slice(0, w.pos)
  } finally {
    if (w.buf.length > keepBytes) w.buf = new Uint8Array(256)
  }
}

/** RLP of a byte string, written straight into a buffer of its size. */
function encodeString(b: Uint8Array): Uint8Array {
  const n = b.length
  if (n === 1 && b[0]! < 0x80) return Uint8Array.of(b[0]!)
  const out = new Uint8Array((n <= 55 ? 1 : 1 + lengthOfLength(n)) + n)
  out.set(b, writeRlpHeader(out, 0, n, 0x80))
  return out
}

/** RLP-encode a list whose elements are already encoded. */
export function rlpEncodeListOfEncoded(parts: readonly Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array((len <= 55 ? 1 : 1 + lengthOfLength(len)) + len)
  let o = writeRlpHeader(out, 0, len, 0xc0)
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Decoding

let nextPos = 0
let isListHdr = false
let contentStart = 0

/** Parses one item header at `pos` (strict). Sets contentStart/nextPos/isListHdr. */
function readHeader(b: Uint8Array, pos: number, end: number): void {
  if (pos >= end) throw new WireError('ErrDecode', 'unexpected end of input')
  const p = b[pos]!
  if (p < 0x80) {
    isListHdr = false
    contentStart = pos
    nextPos = pos + 1
    return
  }
  let len: number
  let s: number
  if (p <= 0xb7 || (p >= 0xc0 && p <= 0xf7)) {
    isListHdr = p >= 0xc0
    len = p - (isListHdr ? 0xc0 : 0x80)
    s = pos + 1
    if (s + len > end) throw new WireError('ErrDecode', 'item longer than its input')
    if (len === 1 && !isListHdr && b[s]! < 0x80) {
      throw new WireError('ErrNonCanonical', 'single byte below 0x80 wrapped in a string header')
    }
  } else {
    isListHdr = p >= 0xc0
    const ll = p - (isListHdr ? 0xf7 : 0xb7)
    if (pos + 1 + ll > end) throw new WireError('ErrDecode', 'length prefix longer than input')
    if (b[pos + 1] === 0) throw new WireError('ErrNonCanonical', 'length prefix with leading zero')
    len = 0
    for (let i = 0; i < ll; i++) len = len * 256 + b[pos + 1 + i]!
    if (len <= 55) throw new WireError('ErrNonCanonical', 'long-form length for a short item')
    s = pos + 1 + ll
    if (s + len > end) throw new WireError('ErrDecode', 'item longer than its input')
  }
  contentStart = s
  nextPos = s + len
}

function readItem(b: Uint8Array, pos: number, end: number, depth: number): RlpItem {
  readHeader(b, pos, end)
  const s = contentStart
  const e = nextPos
  if (!isListHdr) return b.subarray(s, e)
  if (depth >= maxRlpDepth) throw new WireError('ErrDecode', 'RLP nested too deeply')
  const items: RlpItem[] = []
  let q = s
  while (q < e) {
    items.push(readItem(b, q, e, depth + 1))
    q = nextPos
  }
  nextPos = e
  return items
}

/** Strict RLP decode of exactly one item (no trailing bytes). Throws `WireError`. */
export function rlpDecode(bytes: Uint8Array): RlpItem {
  const item = readItem(bytes, 0, bytes.length, 0)
  if (nextPos !== bytes.length) throw new WireError('ErrTrailingBytes', 'bytes after the RLP item')
  return item
}

/**
 * Splits the top-level RLP list `bytes` into the raw encodings of its elements (subarrays, with
 * their own prefixes), checking the headers strictly but not the elements' contents.
 */
export function rlpListElements(bytes: Uint8Array, field = 'list'): Uint8Array[] {
  readHeader(bytes, 0, bytes.length)
  if (nextPos !== bytes.length) throw new WireError('ErrTrailingBytes', 'bytes after the RLP item')
  if (!isListHdr) throw new WireError('ErrKind', `${field}: expected a list`)
  const e = nextPos
  const out: Uint8Array[] = []
  let q = contentStart
  while (q < e) {
    readHeader(bytes, q, e)
    out.push(bytes.subarray(q, nextPos))
    q = nextPos
  }
  return out
}

/**
 * Splits a concatenation of RLP items (e.g. an exported chain file) into their raw encodings,
 * checking each header strictly but not the contents.
 */
export function rlpSplitConcat(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let q = 0
  while (q < bytes.length) {
    readHeader(bytes, q, bytes.length)
    out.push(bytes.subarray(q, nextPos))
    q = nextPos
  }
  return out
}

/**
 * The encoded length (prefix plus content) of the RLP item at the start of `bytes`, whatever
 * follows it — for framings that put an RLP item before other data (EIP-8 handshake bodies are a
 * list followed by random padding). Checks the header strictly; throws `WireError` when the item
 * is malformed or runs past the end.
 */
export function rlpItemLength(bytes: Uint8Array): number {
  readHeader(bytes, 0, bytes.length)
  return nextPos
}

/** Whether `raw` (one complete RLP item) is a list. */
export function rlpIsList(raw: Uint8Array): boolean {
  return raw.length > 0 && raw[0]! >= 0xc0
}

/** The content of a raw RLP string item (strict). */
export function rlpStringContent(raw: Uint8Array, field: string): Uint8Array {
  readHeader(raw, 0, raw.length)
  if (nextPos !== raw.length) throw new WireError('ErrTrailingBytes', 'bytes after the RLP item')
  if (isListHdr) throw new WireError('ErrKind', `${field}: expected a string, got a list`)
  return raw.subarray(contentStart, nextPos)
}

// ---------------------------------------------------------------------------------------------
// Field readers

export function asBytes(item: RlpItem | undefined, field: string): Uint8Array {
  if (item instanceof Uint8Array) return item
  if (item === undefined) throw new WireError('ErrArity', `${field}: missing`)
  throw new WireError('ErrKind', `${field}: expected a string, got a list`)
}

/** A list; `arity` is an exact count or an inclusive `[min, max]` range. */
export function asList(
  item: RlpItem | undefined,
  field: string,
  arity?: number | readonly [number, number],
): RlpItem[] {
  if (item === undefined) throw new WireError('ErrArity', `${field}: missing`)
  if (!Array.isArray(item))
    throw new WireError('ErrKind', `${field}: expected a list, got a string`)
  if (arity !== undefined) {
    const n = item.length
    if (typeof arity === 'number' ? n !== arity : n < arity[0] || n > arity[1]) {
      throw new WireError('ErrArity', `${field}: ${n} elements, expected ${arity}`)
    }
  }
  return item
}

function checkUint(b: Uint8Array, field: string, maxBytes: number): void {
  if (b.length > maxBytes) {
    throw new WireError('ErrFieldSize', `${field}: integer of ${b.length} bytes, max ${maxBytes}`)
  }
  if (b.length > 0 && b[0] === 0) throw new WireError('ErrNonCanonical', `${field}: leading zero`)
}

/** An unsigned integer of at most `maxBytes` bytes, canonical (no leading zeros). */
export function asUint(item: RlpItem | undefined, field: string, maxBytes = 8): bigint {
  const b = asBytes(item, field)
  checkUint(b, field, maxBytes)
  return bytesToBigInt(b)
}

/** An unsigned integer as a JS number (at most 6 bytes, i.e. < 2^48), canonical. */
export function asUintNumber(item: RlpItem | undefined, field: string, maxBytes = 6): number {
  const b = asBytes(item, field)
  checkUint(b, field, Math.min(maxBytes, 6))
  return bytesToNumber(b)
}

export function asFixed(item: RlpItem | undefined, field: string, len: number): Uint8Array {
  const b = asBytes(item, field)
  if (b.length !== len) {
    throw new WireError('ErrFieldSize', `${field}: ${b.length} bytes, expected ${len}`)
  }
  return b
}

/** RLP boolean: empty string = false, 0x01 = true. */
export function asBool(item: RlpItem | undefined, field: string): boolean {
  const b = asBytes(item, field)
  if (b.length === 0) return false
  if (b.length === 1 && b[0] === 1) return true
  throw new WireError('ErrInvalidValue', `${field}: not a boolean`)
}

// ---------------------------------------------------------------------------------------------
// Cursor: reads a list's fields in order straight from the buffer, with the same strictness as
// rlpDecode + the field readers, but without building an item tree or a subarray per integer.

/** Sequential strict reader over the elements of one RLP list. */
export class RlpCursor {
  #dv: DataView | undefined
  private constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly field: string,
  ) {}

  /** A cursor over the list `raw` (exactly one item, no trailing bytes). */
  static of(raw: Uint8Array, field: string): RlpCursor {
    readHeader(raw, 0, raw.length)
    if (nextPos !== raw.length) throw new WireError('ErrTrailingBytes', 'bytes after the RLP item')
    if (!isListHdr) throw new WireError('ErrKind', `${field}: expected a list`)
    return new RlpCursor(raw, contentStart, nextPos, field)
  }

  hasMore(): boolean {
    return this.pos < this.end
  }

  /** Number of elements left (walks headers only). */
  remaining(): number {
    let n = 0
    for (let q = this.pos; q < this.end; q = nextPos) {
      readHeader(this.buf, q, this.end)
      n++
    }
    return n
  }

  #string(field: string): void {
    if (this.pos >= this.end) throw new WireError('ErrArity', `${this.field}: missing ${field}`)
    readHeader(this.buf, this.pos, this.end)
    if (isListHdr) throw new WireError('ErrKind', `${field}: expected a string, got a list`)
    this.pos = nextPos
  }

  bytes(field: string): Uint8Array {
    this.#string(field)
    return this.buf.subarray(contentStart, nextPos)
  }

  fixed(field: string, len: number): Uint8Array {
    this.#string(field)
    if (nextPos - contentStart !== len) {
      throw new WireError(
        'ErrFieldSize',
        `${field}: ${nextPos - contentStart} bytes, expected ${len}`,
      )
    }
    return this.buf.subarray(contentStart, nextPos)
  }

  uint(field: string, maxBytes = 8): bigint {
    this.#string(field)
    const b = this.buf
    const s = contentStart
    const n = nextPos - s
    if (n > maxBytes) {
      throw new WireError('ErrFieldSize', `${field}: integer of ${n} bytes, max ${maxBytes}`)
    }
    if (n === 0) return 0n
    if (b[s] === 0) throw new WireError('ErrNonCanonical', `${field}: leading zero`)
    if (n <= 6) {
      let v = 0
      for (let i = s; i < s + n; i++) v = v * 256 + b[i]!
      return BigInt(v)
    }
    this.#dv ??= new DataView(b.buffer, b.byteOffset, b.length)
    const head = n % 8
    const h6 = head === 7 ? 1 : 0
    let v = 0
    for (let i = s + h6; i < s + head; i++) v = v * 256 + b[i]!
    let r = h6 ? (BigInt(b[s]!) << 48n) | BigInt(v) : BigInt(v)
    for (let i = s + head; i < s + n; i += 8) r = (r << 64n) | this.#dv.getBigUint64(i)
    return r
  }

  uintNumber(field: string, maxBytes = 6): number {
    const max = Math.min(maxBytes, 6)
    this.#string(field)
    const b = this.buf
    const s = contentStart
    const n = nextPos - s
    if (n > max) throw new WireError('ErrFieldSize', `${field}: integer of ${n} bytes, max ${max}`)
    if (n > 0 && b[s] === 0) throw new WireError('ErrNonCanonical', `${field}: leading zero`)
    let v = 0
    for (let i = s; i < s + n; i++) v = v * 256 + b[i]!
    return v
  }

  /** A cursor over the next element, which must be a list. */
  list(field: string): RlpCursor {
    if (this.pos >= this.end) throw new WireError('ErrArity', `${this.field}: missing ${field}`)
    readHeader(this.buf, this.pos, this.end)
    if (!isListHdr) throw new WireError('ErrKind', `${field}: expected a list, got a string`)
    this.pos = nextPos
    return new RlpCursor(this.buf, contentStart, nextPos, field)
  }

  /** The next element's raw encoding (header checked, content not). */
  raw(field: string): Uint8Array {
    if (this.pos >= this.end) throw new WireError('ErrArity', `${this.field}: missing ${field}`)
    const start = this.pos
    readHeader(this.buf, start, this.end)
    this.pos = nextPos
    return this.buf.subarray(start, nextPos)
  }

  /** Whether the next element is a list (false at the end). */
  peekIsList(): boolean {
    if (this.pos >= this.end) return false
    readHeader(this.buf, this.pos, this.end)
    return isListHdr
  }

  /** Throws `ErrArity` if elements are left. */
  done(): void {
    if (this.pos < this.end) throw new WireError('ErrArity', `${this.field}: too many elements`)
  }
}
