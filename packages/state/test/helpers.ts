/** Test helpers: a plain (or secure) trie over the internal operations, in memory. */
import { hexToBytes, keccak256, utf8ToBytes } from '@ethwire/rlp-wire'
import { EMPTY_ROOT } from '../src/account.js'
import { decodeNode, hashRoot, type Node, toNibbles } from '../src/node.js'
import { MissingNode, type Resolver, trieDelete, trieGet, trieInsert } from '../src/trie.js'
import type { BatchOp } from '../src/types.js'
import { collectDirty } from '../src/world.js'

export const bytesOf = (s: string): Uint8Array =>
  s.startsWith('0x') ? hexToBytes(s) : utf8ToBytes(s)
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** A trie with every node in memory (no store): for vectors and reference checks. */
export class MemTrie {
  root: Node | null = null
  readonly nodes = new Map<string, Uint8Array>()
  readonly r: Resolver = {
    resolve: (ref) => {
      const raw = this.nodes.get(hex(ref.hash))
      if (raw === undefined) throw new MissingNode(ref.hash)
      return decodeNode(raw, ref.hash)
    },
  }
  constructor(readonly secure = false) {}
  #path(key: Uint8Array): Uint8Array {
    return toNibbles(this.secure ? keccak256(key) : key)
  }
  put(key: Uint8Array, value: Uint8Array): void {
    if (value.length === 0) this.del(key)
    else this.root = trieInsert(this.root, this.#path(key), 0, value, this.r)
  }
  del(key: Uint8Array): void {
    this.root = trieDelete(this.root, this.#path(key), 0, this.r)
  }
  get(key: Uint8Array): Uint8Array | undefined {
    return trieGet(this.root, this.#path(key), this.r)
  }
  hash(): Uint8Array {
    if (this.root === null) return EMPTY_ROOT
    if (this.root.kind === 3) return this.root.hash
    return hashRoot(this.root, keccak256)
  }
  /** Stores every new node and forgets the in-memory tree (so later walks decode from `nodes`). */
  commit(): BatchOp[] {
    const h = this.hash()
    const ops: BatchOp[] = []
    collectDirty(this.root, ops, true)
    for (const op of ops) this.nodes.set(hex(op.key), op.value)
    this.root = this.root === null ? null : ({ kind: 3, hash: h, key: undefined } as Node)
    return ops
  }
}

/** A test address: 0xaa then i in the last four bytes. */
export const addr = (i: number) => {
  const a = new Uint8Array(20)
  new DataView(a.buffer).setUint32(16, i)
  a[0] = 0xaa
  return a
}
/** A 32-byte big-endian word. */
export const word = (n: number | bigint) => {
  const w = new Uint8Array(32)
  let v = BigInt(n)
  for (let i = 31; v > 0n; i--, v >>= 8n) w[i] = Number(v & 0xffn)
  return w
}
