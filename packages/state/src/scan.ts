/**
 * The children of a delivered trie node, read straight from its RLP (trie sync's hot path): the
 * hashes it refers to, with the nibble depth each sits at, and for an account trie the storage
 * root and code hash of every account it holds. No node objects, no decoded accounts: a sync
 * needs only where the hashes are. Malformed input throws `ErrBadNode`, as `decodeNode` does.
 */
import { EMPTY_CODE_HASH, EMPTY_ROOT } from './account.js'
import { StateError } from './errors.js'

/** What a scan found: called once per child, in node order. */
export type ChildSink = (
  hash: Uint8Array,
  kind: 'node' | 'storageRoot' | 'code',
  /** Nibbles above the child (for `node`); 0 for a storage root or code. */
  depth: number,
) => void

// the item last read by `item()`: where its payload starts and ends, and whether it is a list
let pStart = 0
let pEnd = 0
let pList = false

function bad(msg: string): never {
  throw new StateError('ErrBadNode', `undecodable trie node: ${msg}`)
}

/** Reads the RLP item header at `pos` (which must end by `end`); returns the position after it. */
function item(b: Uint8Array, pos: number, end: number): number {
  if (pos >= end) bad('truncated')
  const h = b[pos]!
  if (h < 0x80) {
    pStart = pos
    pEnd = pos + 1
    pList = false
  } else if (h <= 0xb7) {
    pStart = pos + 1
    pEnd = pStart + (h - 0x80)
    pList = false
  } else if (h < 0xc0) {
    const ll = h - 0xb7
    pStart = pos + 1 + ll
    pEnd = pStart + long(b, pos + 1, ll, end)
    pList = false
  } else if (h <= 0xf7) {
    pStart = pos + 1
    pEnd = pStart + (h - 0xc0)
    pList = true
  } else {
    const ll = h - 0xf7
    pStart = pos + 1 + ll
    pEnd = pStart + long(b, pos + 1, ll, end)
    pList = true
  }
  if (pEnd > end) bad('item runs past its list')
  return pEnd
}

function long(b: Uint8Array, pos: number, ll: number, end: number): number {
  if (ll > 4 || pos + ll > end) bad('bad length')
  let n = 0
  for (let i = 0; i < ll; i++) n = n * 256 + b[pos + i]!
  return n
}

function equal32(b: Uint8Array, o: number, ref: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (b[o + i] !== ref[i]) return false
  return true
}

/** An account's RLP `[nonce, balance, storageRoot, codeHash]` in `b[s, e)`. */
function account(b: Uint8Array, s: number, e: number, sink: ChildSink): void {
  item(b, s, e)
  if (!pList || pEnd !== e) bad('account is not a list')
  const ls = pStart
  const le = pEnd
  let p = item(b, ls, le) // nonce
  if (pList) bad('account nonce is a list')
  p = item(b, p, le) // balance
  if (pList) bad('account balance is a list')
  p = item(b, p, le)
  if (pList || pEnd - pStart !== 32) bad('account storage root is not 32 bytes')
  const root = pStart
  p = item(b, p, le)
  if (pList || pEnd - pStart !== 32) bad('account code hash is not 32 bytes')
  const code = pStart
  if (p !== le) bad('account is not a list of four')
  if (!equal32(b, root, EMPTY_ROOT)) sink(b.slice(root, root + 32), 'storageRoot', 0)
  if (!equal32(b, code, EMPTY_CODE_HASH)) sink(b.slice(code, code + 32), 'code', 0)
}

/** A child reference in `b[pStart, pEnd)` (just read): a hash, an embedded node, or empty. */
function ref(b: Uint8Array, depth: number, accounts: boolean, sink: ChildSink, empty: boolean) {
  if (pList) {
    // embedded node (its RLP is under 32 bytes): walk into it
    const s = pStart
    const e = pEnd
    walk(b, s, e, depth, accounts, sink)
    return
  }
  const n = pEnd - pStart
  if (n === 32) sink(b.slice(pStart, pEnd), 'node', depth)
  else if (n !== 0 || !empty) bad(`child reference of ${n} bytes`)
}

/** The node whose list payload is `b[s, e)`, at nibble depth `depth`. */
function walk(
  b: Uint8Array,
  s: number,
  e: number,
  depth: number,
  accounts: boolean,
  sink: ChildSink,
): void {
  // count the items first: 2 (leaf or extension) or 17 (branch)
  let count = 0
  for (let p = s; p < e; p = item(b, p, e)) count++
  if (count === 2) {
    const p = item(b, s, e)
    if (pList || pEnd === pStart) bad('bad hex-prefix path')
    const flag = b[pStart]! >> 4
    if (flag > 3) bad(`bad hex-prefix flag ${flag}`)
    const nibbles = (pEnd - pStart - 1) * 2 + (flag & 1)
    item(b, p, e)
    if (flag >= 2) {
      if (pList) bad('leaf value is a list')
      if (accounts) account(b, pStart, pEnd, sink)
    } else ref(b, depth + nibbles, accounts, sink, false)
  } else if (count === 17) {
    let p = s
    for (let i = 0; i < 16; i++) {
      p = item(b, p, e)
      const next = p
      ref(b, depth + 1, accounts, sink, true)
      p = next
    }
    item(b, p, e)
    if (pList) bad('branch value is a list')
    if (accounts && pEnd > pStart) account(b, pStart, pEnd, sink)
  } else bad(`trie node list of ${count} items`)
}

/**
 * Calls `sink` for each child of the trie node `raw` at nibble depth `depth`: hashed children
 * (embedded nodes are walked into), and with `accounts`, the non-empty storage roots and code
 * hashes of the accounts in its leaves. The hashes are copies.
 */
export function scanChildren(
  raw: Uint8Array,
  depth: number,
  accounts: boolean,
  sink: ChildSink,
): void {
  const end = item(raw, 0, raw.length)
  if (end !== raw.length) bad('bytes after the node')
  if (!pList) bad('a node is a list')
  walk(raw, pStart, pEnd, depth, accounts, sink)
}
