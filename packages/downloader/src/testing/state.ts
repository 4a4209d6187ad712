/**
 * Fast-sync doubles: a synthetic state (a hash-linked tree of nodes that changes a little with
 * every block, with code entries hanging off some leaves, so consecutive state roots share most
 * nodes as real ones do), and {@link MemoryStateSync}, an in-memory trie-sync scheduler that
 * implements the downloader's {@link StateSync} over it the way go-ethereum's `trie.Sync` works:
 * start at the root, hand out missing hashes, check every delivered node against its hash,
 * commit a node only once all its children are stored (so a later root, or a restart, never
 * trusts a half-downloaded subtree). The real scheduler lives in `@ethwire/state`.
 */
import {
  bytesToHex,
  EMPTY_TRIE_ROOT,
  equalBytes,
  hexToBytes,
  keccak256,
  type RlpItem,
  rlpDecode,
  rlpEncode,
} from '@ethwire/rlp-wire'
import type { StateDelivery, StateSync, StateSyncFactory, StateSyncProgress } from '../types.js'

// -------------------------------------------------------------------------------------------
// The synthetic state

const BRANCH = Uint8Array.of(1)
const LEAF = Uint8Array.of(0)

export interface SyntheticStateOptions {
  /** Leaves ("accounts"). Default 1,000. */
  accounts?: number
  /** Children per branch node. Default 16. */
  fanout?: number
  /** Every how many accounts one has a code entry. Default 7 (0: none). */
  codeEvery?: number
}

/** A child reference in a synthetic node: a node, or a code entry (raw bytes, no children). */
export interface NodeChild {
  hash: Uint8Array
  code: boolean
}

/** The children of a synthetic node (none for a code entry: pass `code`). */
export function syntheticChildren(node: Uint8Array, code = false): NodeChild[] {
  if (code) return []
  const item = rlpDecode(node) as RlpItem[]
  const tag = item[0] as Uint8Array
  if (tag[0] === 1) return (item[1] as Uint8Array[]).map((hash) => ({ hash, code: false }))
  const codeHash = item[2] as Uint8Array | undefined
  return codeHash === undefined ? [] : [{ hash: codeHash, code: true }]
}

/**
 * A state as a tree of hash-linked nodes: leaves (one per account), branch nodes above them up to
 * a single root. `update` changes one account and returns the new root: only the path to it is
 * new, every other node is shared with the previous root. `nodes` keeps every node of every root.
 */
export class SyntheticState {
  readonly nodes = new Map<string, Uint8Array>()
  readonly accounts: number
  private readonly fanout: number
  private readonly codeEvery: number
  /** levels[0]: leaf hashes; the last level: [root]. */
  private readonly levels: Uint8Array[][] = []

  constructor(opts: SyntheticStateOptions = {}) {
    this.accounts = opts.accounts ?? 1000
    this.fanout = opts.fanout ?? 16
    this.codeEvery = opts.codeEvery ?? 7
    const leaves: Uint8Array[] = []
    for (let i = 0; i < this.accounts; i++) leaves.push(this.leaf(i, 0))
    this.levels.push(leaves)
    while (this.levels[this.levels.length - 1]!.length > 1) {
      const below = this.levels[this.levels.length - 1]!
      const level: Uint8Array[] = []
      for (let i = 0; i < below.length; i += this.fanout) {
        level.push(this.branch(below.slice(i, i + this.fanout)))
      }
      this.levels.push(level)
    }
  }

  get root(): Uint8Array {
    return this.levels[this.levels.length - 1]![0]!
  }

  /** Give account `index` a new version: the new root. */
  update(index: number, version: number): Uint8Array {
    let i = index % this.accounts
    this.levels[0]![i] = this.leaf(i, version)
    for (let l = 1; l < this.levels.length; l++) {
      const j = Math.floor(i / this.fanout)
      const below = this.levels[l - 1]!
      this.levels[l]![j] = this.branch(below.slice(j * this.fanout, (j + 1) * this.fanout))
      i = j
    }
    return this.root
  }

  /** Nodes and code entries reachable from `root` (what a full download of it holds). */
  reachable(root: Uint8Array): number {
    const seen = new Set<string>()
    const stack: NodeChild[] = [{ hash: root, code: false }]
    while (stack.length > 0) {
      const c = stack.pop()!
      const key = bytesToHex(c.hash)
      if (seen.has(key)) continue
      seen.add(key)
      const node = this.nodes.get(key)
      if (node === undefined) throw new Error(`synthetic state: node ${key} missing`)
      stack.push(...syntheticChildren(node, c.code))
    }
    return seen.size
  }

  private put(node: Uint8Array): Uint8Array {
    const hash = keccak256(node)
    this.nodes.set(bytesToHex(hash), node)
    return hash
  }

  private leaf(index: number, version: number): Uint8Array {
    const data = new Uint8Array(48)
    new DataView(data.buffer).setUint32(0, index)
    new DataView(data.buffer).setUint32(4, version)
    data.fill(0xa5, 8)
    const fields: Uint8Array[] = [LEAF, data]
    if (this.codeEvery > 0 && index % this.codeEvery === 0) {
      const code = new Uint8Array(64).fill(index & 0xff)
      new DataView(code.buffer).setUint32(0, index)
      new DataView(code.buffer).setUint32(4, version)
      fields.push(this.put(code))
    }
    return this.put(rlpEncode(fields))
  }

  private branch(children: Uint8Array[]): Uint8Array {
    return this.put(rlpEncode([BRANCH, children]))
  }
}

// -------------------------------------------------------------------------------------------
// The in-memory trie-sync scheduler

/** Committed nodes by hash: what the local state database holds. Shared by every scheduler. */
export class MemoryStateStore {
  readonly nodes = new Map<string, Uint8Array>()

  has(hash: Uint8Array): boolean {
    return this.nodes.has(bytesToHex(hash))
  }

  /** Whether every node and code entry below `root` is stored (what a chain checks at commit). */
  complete(root: Uint8Array, children = syntheticChildren): boolean {
    if (equalBytes(root, EMPTY_TRIE_ROOT)) return true
    const seen = new Set<string>()
    const stack: NodeChild[] = [{ hash: root, code: false }]
    while (stack.length > 0) {
      const c = stack.pop()!
      const key = bytesToHex(c.hash)
      if (seen.has(key)) continue
      seen.add(key)
      const node = this.nodes.get(key)
      if (node === undefined) return false
      stack.push(...children(node, c.code))
    }
    return true
  }
}

export interface MemoryStateSyncOptions {
  /** How to find a node's children (default: the synthetic format). */
  children?: (node: Uint8Array, code: boolean) => NodeChild[]
}

interface Waiting {
  node: Uint8Array
  /** Children not yet committed. */
  missing: number
}

/** Thrown-free refusal of a delivery: a node that hashes to no requested key. */
export interface UnrequestedNode {
  readonly name: 'StateSyncError'
  readonly code: 'ErrUnrequestedNode'
  readonly message: string
}

/**
 * An in-memory trie-sync scheduler for one root (see the module comment). Every scheduler made
 * for the same store shares what is committed, so a new root after a pivot move only downloads
 * what changed.
 */
export class MemoryStateSync implements StateSync {
  readonly root: Uint8Array
  /** Deliveries refused (nodes that hash to no requested key). */
  rejected = 0
  closed = false
  private readonly children: (node: Uint8Array, code: boolean) => NodeChild[]
  /** Missing hashes not handed out, front first. */
  private queue: string[] = []
  /** Handed out, not yet delivered. */
  private readonly out = new Set<string>()
  /** Whether a scheduled hash is a code entry. */
  private readonly isCode = new Map<string, boolean>()
  /** Delivered nodes waiting for their children. */
  private readonly waiting = new Map<string, Waiting>()
  /** For every scheduled or waiting hash: the waiting nodes that need it. */
  private readonly parents = new Map<string, string[]>()
  private pulled = 0

  constructor(
    root: Uint8Array,
    private readonly store: MemoryStateStore,
    opts: MemoryStateSyncOptions = {},
  ) {
    this.root = root
    this.children = opts.children ?? syntheticChildren
    const key = bytesToHex(root)
    if (!equalBytes(root, EMPTY_TRIE_ROOT) && !store.nodes.has(key)) this.schedule(key, false)
  }

  missing(max: number): Uint8Array[] {
    const n = Math.min(max, this.queue.length)
    const keys = this.queue.splice(0, n)
    for (const k of keys) this.out.add(k)
    return keys.map((k) => hexToBytes(k))
  }

  deliver(_peerId: string, requested: Uint8Array[], nodes: Uint8Array[]): StateDelivery {
    const asked = new Set(requested.map((h) => bytesToHex(h)))
    const keys = nodes.map((n) => bytesToHex(keccak256(n)))
    const bad = keys.findIndex((k) => !asked.has(k))
    if (bad >= 0) {
      this.rejected++
      this.release(requested)
      const rejected: UnrequestedNode = {
        name: 'StateSyncError',
        code: 'ErrUnrequestedNode',
        message: `node ${bad} hashes to ${keys[bad]!.slice(0, 18)}, which was not requested`,
      }
      return { accepted: 0, rejected }
    }
    let accepted = 0
    let duplicates = 0
    for (let i = 0; i < nodes.length; i++) {
      const key = keys[i]!
      if (!this.out.delete(key)) {
        duplicates++
        continue
      }
      accepted++
      this.process(key, nodes[i]!)
    }
    // Asked for and not delivered: hand them out again.
    this.release(requested)
    return { accepted, duplicates }
  }

  release(hashes: Uint8Array[]): void {
    const back: string[] = []
    for (const h of hashes) {
      const key = bytesToHex(h)
      if (this.out.delete(key)) back.push(key)
    }
    if (back.length > 0) this.queue = [...back, ...this.queue]
  }

  done(): boolean {
    return equalBytes(this.root, EMPTY_TRIE_ROOT) || this.store.nodes.has(bytesToHex(this.root))
  }

  progress(): StateSyncProgress {
    return {
      pulled: this.pulled,
      known: this.pulled + this.queue.length + this.out.size + this.waiting.size,
    }
  }

  close(): void {
    this.closed = true
    this.queue = []
    this.out.clear()
    this.waiting.clear()
    this.parents.clear()
  }

  private schedule(key: string, code: boolean, parent?: string): void {
    if (parent !== undefined) {
      const ps = this.parents.get(key)
      if (ps === undefined) this.parents.set(key, [parent])
      else ps.push(parent)
    }
    if (this.isCode.has(key)) return // already queued, handed out or waiting
    this.isCode.set(key, code)
    this.queue.push(key)
  }

  private process(key: string, node: Uint8Array): void {
    let missing = 0
    for (const c of this.children(node, this.isCode.get(key) === true)) {
      const ck = bytesToHex(c.hash)
      if (this.store.nodes.has(ck)) continue
      missing++
      this.schedule(ck, c.code, key)
    }
    if (missing === 0) this.commit(key, node)
    else this.waiting.set(key, { node, missing })
  }

  private commit(key: string, node: Uint8Array): void {
    this.store.nodes.set(key, node)
    this.isCode.delete(key)
    this.pulled++
    const ps = this.parents.get(key)
    this.parents.delete(key)
    for (const p of ps ?? []) {
      const w = this.waiting.get(p)
      if (w === undefined) continue
      if (--w.missing === 0) {
        this.waiting.delete(p)
        this.commit(p, w.node)
      }
    }
  }
}

/** A {@link StateSyncFactory} of {@link MemoryStateSync}s over one store; keeps every one made. */
export function memoryStateSync(
  store: MemoryStateStore,
  opts: MemoryStateSyncOptions = {},
): StateSyncFactory & { made: MemoryStateSync[] } {
  const made: MemoryStateSync[] = []
  const factory = (root: Uint8Array): StateSync => {
    const s = new MemoryStateSync(root, store, opts)
    made.push(s)
    return s
  }
  return Object.assign(factory, { made })
}
