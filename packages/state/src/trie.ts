/**
 * Synchronous trie operations by path copying. A walk that meets a child known only by hash asks
 * the resolver, which returns the node if it is in memory or throws a {@link MissingNode} signal;
 * the async driver ({@link withNodes}) then loads that node from the store and runs the operation
 * again. Nothing is changed until an operation returns, so a retry is always safe.
 */
import {
  BRANCH,
  BranchNode,
  EXT,
  ExtNode,
  HASH,
  type HashNode,
  LEAF,
  LeafNode,
  type Node,
} from './node.js'

/** Thrown (not an Error: no stack to build) when a node is not in memory. */
export class MissingNode {
  constructor(readonly hash: Uint8Array) {}
}

export interface Resolver {
  /** The node stored under `ref.hash`, or throws {@link MissingNode}. */
  resolve(ref: HashNode): Node
}

type Real = LeafNode | ExtNode | BranchNode

function resolveReal(n: Node, r: Resolver): Real {
  while (n.kind === HASH) n = r.resolve(n)
  return n
}

/** Length of the common prefix of `path` and `key[pos..]`. */
function common(path: Uint8Array, key: Uint8Array, pos: number): number {
  const max = Math.min(path.length, key.length - pos)
  let i = 0
  while (i < max && path[i] === key[pos + i]) i++
  return i
}

function concatNibbles(a: Uint8Array | number, b: Uint8Array): Uint8Array {
  if (typeof a === 'number') {
    const out = new Uint8Array(1 + b.length)
    out[0] = a
    out.set(b, 1)
    return out
  }
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** The value at `key` (nibbles), or undefined. */
export function trieGet(root: Node | null, key: Uint8Array, r: Resolver): Uint8Array | undefined {
  let n = root
  let pos = 0
  for (;;) {
    if (n === null) return undefined
    switch (n.kind) {
      case HASH:
        n = r.resolve(n)
        continue
      case LEAF: {
        const p = n.path
        if (p.length !== key.length - pos) return undefined
        for (let i = 0; i < p.length; i++) if (p[i] !== key[pos + i]) return undefined
        return n.value
      }
      case EXT: {
        const p = n.path
        if (p.length > key.length - pos) return undefined
        for (let i = 0; i < p.length; i++) if (p[i] !== key[pos + i]) return undefined
        pos += p.length
        n = n.child
        continue
      }
      case BRANCH:
        if (pos === key.length) return n.value ?? undefined
        n = n.children[key[pos++]!]!
    }
  }
}

/**
 * The nodes a walk to `key` passes through, root first (for proofs). Children stored by hash are
 * resolved and appear as their own nodes; inline children too (the caller skips those).
 */
export function triePath(root: Node | null, key: Uint8Array, r: Resolver): Real[] {
  const out: Real[] = []
  let n = root
  let pos = 0
  for (;;) {
    if (n === null) return out
    if (n.kind === HASH) {
      n = r.resolve(n)
      continue
    }
    out.push(n)
    if (n.kind === LEAF) return out
    if (n.kind === EXT) {
      if (common(n.path, key, pos) !== n.path.length) return out
      pos += n.path.length
      n = n.child
      continue
    }
    if (pos === key.length) return out
    n = n.children[key[pos++]!]!
  }
}

/** The first node on the walk to `key` that is not in memory, or undefined if the walk is complete. */
export function trieMissing(
  root: Node | null,
  key: Uint8Array,
  r: Resolver,
): Uint8Array | undefined {
  try {
    trieGet(root, key, r)
    return undefined
  } catch (e) {
    if (e instanceof MissingNode) return e.hash
    throw e
  }
}

/** The trie with `key` (nibbles) set to `value` (non-empty). Returns `n` itself when unchanged. */
export function trieInsert(
  n: Node | null,
  key: Uint8Array,
  pos: number,
  value: Uint8Array,
  r: Resolver,
): Node {
  if (n === null) return new LeafNode(key.subarray(pos), value)
  const m = resolveReal(n, r)
  if (m.kind === LEAF) {
    const p = m.path
    const c = common(p, key, pos)
    if (c === p.length && c === key.length - pos) {
      if (equal(m.value, value)) return n
      return new LeafNode(p, value)
    }
    const children: (Node | null)[] = new Array(16).fill(null)
    let bvalue: Uint8Array | null = null
    if (c === p.length) bvalue = m.value
    else children[p[c]!] = new LeafNode(p.subarray(c + 1), m.value)
    if (pos + c === key.length) bvalue = value
    else children[key[pos + c]!] = new LeafNode(key.subarray(pos + c + 1), value)
    const branch = new BranchNode(children, bvalue)
    return c === 0 ? branch : new ExtNode(key.subarray(pos, pos + c), branch)
  }
  if (m.kind === EXT) {
    const p = m.path
    const c = common(p, key, pos)
    if (c === p.length) {
      const child = trieInsert(m.child, key, pos + c, value, r)
      if (child === m.child) return n
      return new ExtNode(p, child)
    }
    const children: (Node | null)[] = new Array(16).fill(null)
    let bvalue: Uint8Array | null = null
    children[p[c]!] = c + 1 === p.length ? m.child : new ExtNode(p.subarray(c + 1), m.child)
    if (pos + c === key.length) bvalue = value
    else children[key[pos + c]!] = new LeafNode(key.subarray(pos + c + 1), value)
    const branch = new BranchNode(children, bvalue)
    return c === 0 ? branch : new ExtNode(p.subarray(0, c), branch)
  }
  // branch
  if (pos === key.length) {
    if (m.value !== null && equal(m.value, value)) return n
    return new BranchNode(m.children.slice(), value)
  }
  const i = key[pos]!
  const old = m.children[i]!
  const child = trieInsert(old, key, pos + 1, value, r)
  if (child === old) return n
  const children = m.children.slice()
  children[i] = child
  return new BranchNode(children, m.value)
}

/**
 * The trie without `key`. Returns `n` itself when the key was absent, `null` when the trie became
 * empty. A branch left with one entry collapses into its neighbour (extension and leaf merges).
 */
export function trieDelete(n: Node | null, key: Uint8Array, pos: number, r: Resolver): Node | null {
  if (n === null) return null
  const m = resolveReal(n, r)
  if (m.kind === LEAF) {
    const p = m.path
    if (p.length !== key.length - pos || common(p, key, pos) !== p.length) return n
    return null
  }
  if (m.kind === EXT) {
    const p = m.path
    if (common(p, key, pos) !== p.length) return n
    const child = trieDelete(m.child, key, pos + p.length, r)
    if (child === m.child) return n
    if (child === null) return null // cannot happen in a canonical trie (a branch never empties)
    return extendWith(p, child, r)
  }
  let children: (Node | null)[]
  let value = m.value
  if (pos === key.length) {
    if (value === null) return n
    value = null
    children = m.children
  } else {
    const i = key[pos]!
    const old = m.children[i]!
    if (old === null) return n
    const child = trieDelete(old, key, pos + 1, r)
    if (child === old) return n
    children = m.children.slice()
    children[i] = child
  }
  // what is left?
  let only = -1
  let count = value === null ? 0 : 1
  for (let j = 0; j < 16 && count < 2; j++) {
    if (children[j] !== null) {
      count++
      only = j
    }
  }
  if (count >= 2)
    return new BranchNode(children === m.children ? children.slice() : children, value)
  if (count === 0) return null
  if (only === -1) return new LeafNode(new Uint8Array(0), value!)
  return extendWith(Uint8Array.of(only), children[only]!, r)
}

/** `prefix` followed by `child`, merged when the child is a leaf or an extension. */
function extendWith(prefix: Uint8Array, child: Node, r: Resolver): Node {
  const c = resolveReal(child, r)
  if (c.kind === LEAF) return new LeafNode(concatNibbles(prefix, c.path), c.value)
  if (c.kind === EXT) return new ExtNode(concatNibbles(prefix, c.path), c.child)
  return new ExtNode(prefix, child)
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
