/**
 * Merkle-Patricia trie roots as pure functions (no database): built bottom-up from a sorted key
 * set, which is all a body check or a genesis state root needs.
 */
import { keccak256 } from './bytes.js'

/** The trie-root functions {@link trieRootFunctions} builds over one keccak-256. */
export interface TrieRootFunctions {
  /** See {@link trieRoot}. */
  trieRoot(entries: Iterable<readonly [key: Uint8Array, value: Uint8Array]>): Uint8Array
  /** See {@link orderedTrieRoot}. */
  orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array
}

/**
 * The trie-root functions over `keccak`. This function is self-contained: its helpers are inside
 * it and it names nothing from outside its body, so a worker thread can run this very code from
 * `String(trieRootFunctions)` with its own keccak (one implementation on every thread). Keep it so:
 * no imports, no module-level names inside.
 */
export function trieRootFunctions(keccak: (data: Uint8Array) => Uint8Array): TrieRootFunctions {
  interface Entry {
    nibbles: Uint8Array
    value: Uint8Array
  }
  const lengthOfLength = (len: number): number => {
    let ll = 0
    for (let v = len; v > 0; v = Math.floor(v / 256)) ll++
    return ll
  }
  /** Writes an RLP string (0x80) or list (0xc0) header for `len` bytes at `o`; the offset after it. */
  const writeHeader = (out: Uint8Array, o: number, len: number, base: number): number => {
    if (len <= 55) {
      out[o] = base + len
      return o + 1
    }
    const ll = lengthOfLength(len)
    out[o] = base + 55 + ll
    for (let i = ll, v = len; i >= 1; i--, v = Math.floor(v / 256)) out[o + i] = v % 256
    return o + 1 + ll
  }
  /** Length of the RLP string header for `b` (0 for a single byte below 0x80). */
  const strHeaderLength = (b: Uint8Array): number => {
    const n = b.length
    if (n === 1 && b[0]! < 0x80) return 0
    return n <= 55 ? 1 : 1 + lengthOfLength(n)
  }
  /** RLP of a byte string. */
  const encStr = (b: Uint8Array): Uint8Array => {
    const h = strHeaderLength(b)
    if (h === 0) return Uint8Array.of(b[0]!)
    const out = new Uint8Array(h + b.length)
    out.set(b, writeHeader(out, 0, b.length, 0x80))
    return out
  }
  /** RLP of a list of already-encoded parts. */
  const listOf = (parts: readonly Uint8Array[]): Uint8Array => {
    let len = 0
    for (const p of parts) len += p.length
    const out = new Uint8Array((len <= 55 ? 1 : 1 + lengthOfLength(len)) + len)
    let o = writeHeader(out, 0, len, 0xc0)
    for (const p of parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
  /** How a child node appears inside its parent: embedded if its RLP is < 32 bytes, else its hash. */
  const ref = (enc: Uint8Array): Uint8Array => {
    if (enc.length < 32) return enc
    const out = new Uint8Array(33)
    out[0] = 0xa0
    out.set(keccak(enc), 1)
    return out
  }
  /** The bytes as a string, one char per byte: a Map key (no Buffer, so it runs in browsers too). */
  const mapKey = (b: Uint8Array): string => {
    if (b.length <= 64) return String.fromCharCode.apply(null, b as unknown as number[])
    let s = ''
    for (let i = 0; i < b.length; i += 4096)
      s += String.fromCharCode.apply(null, b.subarray(i, i + 4096) as unknown as number[])
    return s
  }
  const toNibbles = (key: Uint8Array): Uint8Array => {
    const out = new Uint8Array(key.length * 2)
    for (let i = 0; i < key.length; i++) {
      out[2 * i] = key[i]! >> 4
      out[2 * i + 1] = key[i]! & 15
    }
    return out
  }
  const hexPrefix = (nibbles: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array => {
    const n = to - from
    const odd = n % 2
    const out = new Uint8Array(1 + (n >> 1))
    out[0] = ((leaf ? 2 : 0) + odd) << 4
    let i = from
    if (odd) out[0]! |= nibbles[i++]!
    for (let o = 1; i < to; i += 2, o++) out[o] = (nibbles[i]! << 4) | nibbles[i + 1]!
    return out
  }
  /** `rlp([path, value])` written once into a buffer of its size (the value copied once). */
  const leafNode = (path: Uint8Array, value: Uint8Array): Uint8Array => {
    const ph = strHeaderLength(path)
    const vh = strHeaderLength(value)
    const len = ph + path.length + vh + value.length
    const out = new Uint8Array((len <= 55 ? 1 : 1 + lengthOfLength(len)) + len)
    let o = writeHeader(out, 0, len, 0xc0)
    if (ph > 0) o = writeHeader(out, o, path.length, 0x80)
    out.set(path, o)
    o += path.length
    if (vh > 0) o = writeHeader(out, o, value.length, 0x80)
    out.set(value, o)
    return out
  }
  const EMPTY_STR = Uint8Array.of(0x80)
  /** Encodes the node for entries[lo, hi) which share their first `depth` nibbles. */
  const build = (es: Entry[], lo: number, hi: number, depth: number): Uint8Array => {
    if (hi - lo === 1) {
      const e = es[lo]!
      return leafNode(hexPrefix(e.nibbles, depth, e.nibbles.length, true), e.value)
    }
    // common prefix of the (sorted) range = common prefix of first and last
    const a = es[lo]!.nibbles
    const b = es[hi - 1]!.nibbles
    let p = depth
    while (p < a.length && p < b.length && a[p] === b[p]) p++
    if (p > depth) {
      const child = build(es, lo, hi, p)
      return listOf([encStr(hexPrefix(a, depth, p, false)), ref(child)])
    }
    const slots: Uint8Array[] = new Array(17).fill(EMPTY_STR)
    let i = lo
    if (es[i]!.nibbles.length === depth) {
      slots[16] = encStr(es[i]!.value)
      i++
    }
    while (i < hi) {
      const nib = es[i]!.nibbles[depth]!
      let j = i + 1
      while (j < hi && es[j]!.nibbles[depth] === nib) j++
      slots[nib] = ref(build(es, i, j, depth + 1))
      i = j
    }
    return listOf(slots)
  }
  const cmp = (a: Uint8Array, b: Uint8Array): number => {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return a.length - b.length
  }
  const emptyRoot = keccak(EMPTY_STR)
  const trieRoot = (entries: Iterable<readonly [key: Uint8Array, value: Uint8Array]>) => {
    const map = new Map<string, Entry>()
    for (const [k, v] of entries) {
      const key = mapKey(k)
      if (v.length === 0) map.delete(key)
      else map.set(key, { nibbles: toNibbles(k), value: v })
    }
    const es = [...map.values()].sort((x, y) => cmp(x.nibbles, y.nibbles))
    if (es.length === 0) return emptyRoot
    return keccak(build(es, 0, es.length, 0))
  }
  /** rlp(i): the key of the i-th entry of an ordered trie. */
  const indexKey = (i: number): Uint8Array => {
    if (i === 0) return EMPTY_STR
    if (i < 0x80) return Uint8Array.of(i)
    const bytes: number[] = []
    for (let v = i; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
    return Uint8Array.from([0x80 + bytes.length, ...bytes])
  }
  const orderedTrieRoot = (values: readonly Uint8Array[]) =>
    trieRoot(values.map((v, i) => [indexKey(i), v] as const))
  return { trieRoot, orderedTrieRoot }
}

const roots = trieRootFunctions(keccak256)

/** Root of the empty trie: keccak256(rlp('')). */
export const EMPTY_TRIE_ROOT = keccak256(Uint8Array.of(0x80))
/** keccak256(rlp([])): the uncle hash of a block without uncles. */
export const EMPTY_UNCLE_HASH = keccak256(Uint8Array.of(0xc0))

/**
 * Root of the Merkle-Patricia trie holding `entries` (later duplicates of a key win; empty values
 * are treated as absent, as in the trie itself).
 */
export function trieRoot(
  entries: Iterable<readonly [key: Uint8Array, value: Uint8Array]>,
): Uint8Array {
  return roots.trieRoot(entries)
}

/** Root of the trie with keys rlp(0), rlp(1), … (transactions, receipts, withdrawals). */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  return roots.orderedTrieRoot(values)
}
