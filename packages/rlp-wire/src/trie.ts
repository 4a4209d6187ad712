/**
 * Merkle-Patricia trie roots as pure functions (no database): built bottom-up from a sorted key
 * set, which is all a body check or a genesis state root needs.
 */
import { keccak256 } from './bytes.js'
import { lengthOfLength, rlpEncode, rlpEncodeListOfEncoded, writeRlpHeader } from './rlp.js'

/** Root of the empty trie: keccak256(rlp('')). */
export const EMPTY_TRIE_ROOT = keccak256(Uint8Array.of(0x80))
/** keccak256(rlp([])): the uncle hash of a block without uncles. */
export const EMPTY_UNCLE_HASH = keccak256(Uint8Array.of(0xc0))

interface Entry {
  nibbles: Uint8Array
  value: Uint8Array
}

/** The bytes as a string, one char per byte: a Map key (no Buffer, so it runs in browsers too). */
function mapKey(b: Uint8Array): string {
  if (b.length <= 64) return String.fromCharCode.apply(null, b as unknown as number[])
  let s = ''
  for (let i = 0; i < b.length; i += 4096)
    s += String.fromCharCode.apply(null, b.subarray(i, i + 4096) as unknown as number[])
  return s
}

function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2)
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4
    out[2 * i + 1] = key[i]! & 15
  }
  return out
}

function hexPrefix(nibbles: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array {
  const n = to - from
  const odd = n % 2
  const out = new Uint8Array(1 + (n >> 1))
  out[0] = ((leaf ? 2 : 0) + odd) << 4
  let i = from
  if (odd) out[0]! |= nibbles[i++]!
  for (let o = 1; i < to; i += 2, o++) out[o] = (nibbles[i]! << 4) | nibbles[i + 1]!
  return out
}

/** RLP of a string. */
function encStr(b: Uint8Array): Uint8Array {
  return rlpEncode(b)
}

/** How a child node appears inside its parent: embedded if its RLP is < 32 bytes, else its hash. */
function ref(enc: Uint8Array): Uint8Array {
  return enc.length < 32 ? enc : encStr(keccak256(enc))
}

const EMPTY_STR = Uint8Array.of(0x80)

/** Length of the RLP string header for `b`. */
function strHeaderLength(b: Uint8Array): number {
  const n = b.length
  if (n === 1 && b[0]! < 0x80) return 0
  return n <= 55 ? 1 : 1 + lengthOfLength(n)
}

/** `rlp([path, value])` written once into a buffer of its size (the value, often a few hundred bytes, copied once). */
function leafNode(path: Uint8Array, value: Uint8Array): Uint8Array {
  const ph = strHeaderLength(path)
  const vh = strHeaderLength(value)
  const len = ph + path.length + vh + value.length
  const out = new Uint8Array((len <= 55 ? 1 : 1 + lengthOfLength(len)) + len)
  let o = writeRlpHeader(out, 0, len, 0xc0)
  if (ph > 0) o = writeRlpHeader(out, o, path.length, 0x80)
  out.set(path, o)
  o += path.length
  if (vh > 0) o = writeRlpHeader(out, o, value.length, 0x80)
  out.set(value, o)
  return out
}

/** Encodes the node for entries[lo, hi) which share their first `depth` nibbles. */
function build(es: Entry[], lo: number, hi: number, depth: number): Uint8Array {
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
    return rlpEncodeListOfEncoded([encStr(hexPrefix(a, depth, p, false)), ref(child)])
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
  return rlpEncodeListOfEncoded(slots)
}

function cmp(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/**
 * Root of the Merkle-Patricia trie holding `entries` (later duplicates of a key win; empty values
 * are treated as absent, as in the trie itself).
 */
export function trieRoot(
  entries: Iterable<readonly [key: Uint8Array, value: Uint8Array]>,
): Uint8Array {
  const map = new Map<string, Entry>()
  for (const [k, v] of entries) {
    const key = mapKey(k)
    if (v.length === 0) map.delete(key)
    else map.set(key, { nibbles: toNibbles(k), value: v })
  }
  const es = [...map.values()].sort((x, y) => cmp(x.nibbles, y.nibbles))
  if (es.length === 0) return EMPTY_TRIE_ROOT
  return keccak256(build(es, 0, es.length, 0))
}

/** Root of the trie with keys rlp(0), rlp(1), … (transactions, receipts, withdrawals). */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  return trieRoot(values.map((v, i) => [rlpEncode(i), v] as const))
}
