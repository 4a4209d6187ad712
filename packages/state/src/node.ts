/**
 * Trie nodes in memory, their RLP encoding and decoding (go-ethereum's node format).
 *
 * Nodes are immutable once built (path copying): an update makes new nodes along its path and
 * shares everything else, so a node's cached encoding and hash never go stale. The one mutable
 * field is `dirty` (created since the last commit), which only the world state that made the node
 * ever sees; nodes decoded from the store are never dirty and may be shared by every reader.
 */
import { rlpListElements, rlpStringContent } from '@ethwire/rlp-wire'
import { StateError } from './errors.js'
import type { Hasher } from './types.js'

export const LEAF = 0
export const EXT = 1
export const BRANCH = 2
export const HASH = 3

/** A leaf: the rest of the key (nibbles) and the value. */
export class LeafNode {
  readonly kind = LEAF
  /** RLP of the node, once encoded (or as decoded). */
  enc: Uint8Array | undefined = undefined
  /** keccak of `enc`, once hashed (only nodes referenced by hash, and roots). */
  hash: Uint8Array | undefined = undefined
  dirty: boolean
  constructor(
    readonly path: Uint8Array,
    readonly value: Uint8Array,
    dirty = true,
  ) {
    this.dirty = dirty
  }
}

/** An extension: shared nibbles, then one child (always a branch in a canonical trie). */
export class ExtNode {
  readonly kind = EXT
  enc: Uint8Array | undefined = undefined
  hash: Uint8Array | undefined = undefined
  dirty: boolean
  constructor(
    readonly path: Uint8Array,
    readonly child: Node,
    dirty = true,
  ) {
    this.dirty = dirty
  }
}

/** A branch: sixteen children by next nibble and the value of a key that ends here. */
export class BranchNode {
  readonly kind = BRANCH
  enc: Uint8Array | undefined = undefined
  hash: Uint8Array | undefined = undefined
  dirty: boolean
  constructor(
    readonly children: (Node | null)[],
    readonly value: Uint8Array | null,
    dirty = true,
  ) {
    this.dirty = dirty
  }
}

/** A child known only by its hash, to be loaded from the cache or the store when walked into. */
export class HashNode {
  readonly kind = HASH
  /** Map key of the hash, computed on first use. */
  key: string | undefined = undefined
  /**
   * The hash is the 32 bytes at `buf[off..]`: inside the parent's RLP for decoded nodes, so a
   * decoded branch costs no typed-array view per child.
   */
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
  ) {}
  get hash(): Uint8Array {
    return this.off === 0 && this.buf.length === 32
      ? this.buf
      : this.buf.subarray(this.off, this.off + 32)
  }
}

export type Node = LeafNode | ExtNode | BranchNode | HashNode

/** Nibbles of a key (two per byte, high first). */
export function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2)
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4
    out[2 * i + 1] = key[i]! & 15
  }
  return out
}

/** Hex-prefix (compact) encoding of a nibble path with the leaf flag. */
export function hexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const n = path.length
  const odd = n & 1
  const out = new Uint8Array(1 + (n >> 1))
  out[0] = ((leaf ? 2 : 0) + odd) << 4
  let i = 0
  if (odd) out[0]! |= path[i++]!
  for (let o = 1; i < n; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!
  return out
}

function hexPrefixDecode(b: Uint8Array): { path: Uint8Array; leaf: boolean } {
  if (b.length === 0) throw new StateError('ErrBadNode', 'empty hex-prefix path')
  const flag = b[0]! >> 4
  if (flag > 3) throw new StateError('ErrBadNode', `bad hex-prefix flag ${flag}`)
  const odd = flag & 1
  if (!odd && (b[0]! & 15) !== 0) throw new StateError('ErrBadNode', 'bad hex-prefix padding')
  const path = new Uint8Array((b.length - 1) * 2 + odd)
  let o = 0
  if (odd) path[o++] = b[0]! & 15
  for (let i = 1; i < b.length; i++) {
    path[o++] = b[i]! >> 4
    path[o++] = b[i]! & 15
  }
  return { path, leaf: flag >= 2 }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Length of the RLP encoding of a byte string. */
function strLen(b: Uint8Array): number {
  const n = b.length
  if (n === 1 && b[0]! < 0x80) return 1
  if (n <= 55) return 1 + n
  return 1 + lenOfLen(n) + n
}

function lenOfLen(n: number): number {
  return n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4
}

function writeHeader(out: Uint8Array, pos: number, len: number, base: number): number {
  if (len <= 55) {
    out[pos] = base + len
    return pos + 1
  }
  const ll = lenOfLen(len)
  out[pos] = base + 55 + ll
  for (let i = ll; i >= 1; i--, len = Math.floor(len / 256)) out[pos + i] = len & 255
  return pos + 1 + ll
}

function writeStr(out: Uint8Array, pos: number, b: Uint8Array): number {
  if (b.length === 1 && b[0]! < 0x80) {
    out[pos] = b[0]!
    return pos + 1
  }
  pos = writeHeader(out, pos, b.length, 0x80)
  out.set(b, pos)
  return pos + b.length
}

function listOf(payloadLen: number): { out: Uint8Array; pos: number } {
  const total = (payloadLen <= 55 ? 1 : 1 + lenOfLen(payloadLen)) + payloadLen
  const out = new Uint8Array(total)
  return { out, pos: writeHeader(out, 0, payloadLen, 0xc0) }
}

/** Makes sure a child is encoded, and hashed when it is referenced by hash; returns its ref length. */
function prepareChild(c: Node, hasher: Hasher): number {
  if (c.kind === HASH) return 33
  const enc = encodeNode(c, hasher)
  if (enc.length < 32) return enc.length
  if (c.hash === undefined) c.hash = hasher(enc)
  return 33
}

function writeChild(out: Uint8Array, pos: number, c: Node): number {
  if (c.kind === HASH) {
    out[pos] = 0xa0
    const b = c.buf
    for (let i = 0, o = c.off; i < 32; i++) out[pos + 1 + i] = b[o + i]!
    return pos + 33
  }
  const enc = c.enc!
  if (enc.length < 32) {
    out.set(enc, pos)
    return pos + enc.length
  }
  out[pos] = 0xa0
  out.set(c.hash!, pos + 1)
  return pos + 33
}

/**
 * The node's RLP (children by hash when their RLP is 32 bytes or more, inline otherwise), cached on
 * the node; children are encoded and hashed first, each at most once over the node's life.
 */
export function encodeNode(n: LeafNode | ExtNode | BranchNode, hasher: Hasher): Uint8Array {
  if (n.enc !== undefined) return n.enc
  let enc: Uint8Array
  if (n.kind === LEAF) {
    const hp = hexPrefix(n.path, true)
    const { out, pos } = listOf(strLen(hp) + strLen(n.value))
    writeStr(out, writeStr(out, pos, hp), n.value)
    enc = out
  } else if (n.kind === EXT) {
    const hp = hexPrefix(n.path, false)
    const { out, pos } = listOf(strLen(hp) + prepareChild(n.child, hasher))
    writeChild(out, writeStr(out, pos, hp), n.child)
    enc = out
  } else {
    let len = n.value === null ? 1 : strLen(n.value)
    const cs = n.children
    for (let i = 0; i < 16; i++) {
      const c = cs[i]!
      len += c === null ? 1 : prepareChild(c, hasher)
    }
    const l = listOf(len)
    const out = l.out
    let pos = l.pos
    for (let i = 0; i < 16; i++) {
      const c = cs[i]!
      if (c === null) out[pos++] = 0x80
      else pos = writeChild(out, pos, c)
    }
    if (n.value === null) out[pos] = 0x80
    else writeStr(out, pos, n.value)
    enc = out
  }
  n.enc = enc
  return enc
}

/** Encodes and hashes a root node (a root is stored by hash even when its RLP is short). */
export function hashRoot(n: LeafNode | ExtNode | BranchNode, hasher: Hasher): Uint8Array {
  const enc = encodeNode(n, hasher)
  if (n.hash === undefined) n.hash = hasher(enc)
  return n.hash
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A child reference inside `top` (the node's RLP): inline node, empty, or a 32-byte hash. */
function decodeRef(raw: Uint8Array, top: Uint8Array): Node | null {
  const b0 = raw[0]!
  if (b0 >= 0xc0) return decodeEmbedded(raw)
  if (b0 === 0x80 && raw.length === 1) return null
  if (b0 === 0xa0 && raw.length === 33)
    return new HashNode(top, raw.byteOffset - top.byteOffset + 1)
  const c = rlpStringContent(raw, 'child')
  throw new StateError('ErrBadNode', `child reference of ${c.length} bytes`)
}

function decodeEmbedded(raw: Uint8Array): Node {
  if (raw.length >= 32) throw new StateError('ErrBadNode', 'inline child of 32 bytes or more')
  return decodeNodeRaw(raw)
}

function decodeNodeRaw(raw: Uint8Array): LeafNode | ExtNode | BranchNode {
  const items = rlpListElements(raw, 'trie node')
  let n: LeafNode | ExtNode | BranchNode
  if (items.length === 2) {
    const { path, leaf } = hexPrefixDecode(rlpStringContent(items[0]!, 'path'))
    if (leaf) n = new LeafNode(path, rlpStringContent(items[1]!, 'value'), false)
    else {
      const child = decodeRef(items[1]!, raw)
      if (child === null) throw new StateError('ErrBadNode', 'extension without a child')
      n = new ExtNode(path, child, false)
    }
  } else if (items.length === 17) {
    const children: (Node | null)[] = new Array(16)
    for (let i = 0; i < 16; i++) children[i] = decodeRef(items[i]!, raw)
    const v = rlpStringContent(items[16]!, 'value')
    n = new BranchNode(children, v.length === 0 ? null : v, false)
  } else {
    throw new StateError('ErrBadNode', `trie node list of ${items.length} items`)
  }
  n.enc = raw
  return n
}

/** Decodes a stored node (its RLP) and keeps `enc` and, when given, `hash`, so it is never rehashed. */
export function decodeNode(raw: Uint8Array, hash?: Uint8Array): LeafNode | ExtNode | BranchNode {
  let n: LeafNode | ExtNode | BranchNode
  try {
    n = decodeNodeRaw(raw)
  } catch (err) {
    if ((err as { name?: string }).name === 'StateError') throw err
    throw new StateError('ErrBadNode', `undecodable trie node: ${(err as Error).message}`, {
      cause: err,
      hash,
    })
  }
  if (hash !== undefined) n.hash = hash
  return n
}

/** The hashes a node refers to (its children stored by hash), for trie sync. */
export function childHashes(n: Node, out: Uint8Array[] = []): Uint8Array[] {
  if (n.kind === HASH) out.push(n.hash)
  else if (n.kind === EXT) childHashes(n.child, out)
  else if (n.kind === BRANCH) {
    for (let i = 0; i < 16; i++) {
      const c = n.children[i]!
      if (c !== null) childHashes(c, out)
    }
  }
  return out
}
