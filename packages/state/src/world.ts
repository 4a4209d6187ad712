/**
 * A world state: buffered account, storage and code changes over a stored root. Changes are
 * applied to in-memory tries (path copying) at `root()`, which hashes only the nodes made since the
 * last call; `commit()` collects those nodes (and new code) as put ops for the caller's batch.
 */
import {
  checkLength,
  decodeAccount,
  decodeStorageValue,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  encodeAccount,
  encodeStorageValue,
  equalBytes,
  isZero,
} from './account.js'
import { keyOf, toHex } from './cache.js'
import { StateError } from './errors.js'
import { HASH, HashNode, hashRoot, type Node, toNibbles } from './node.js'
import { codeKey, type LocalNodes, type NodeStore, type Real } from './store.js'
import { MissingNode, type Resolver, trieDelete, trieGet, trieInsert } from './trie.js'
import type { Account, BatchOp, StateCommit, WorldState } from './types.js'

interface AccountFields {
  nonce: bigint
  balance: bigint
  codeHash: Uint8Array
}

class Entry {
  /** Nibbles of keccak(address): the account's path in the account trie. */
  readonly path: Uint8Array
  /** Whether `original` has been read from the account trie. */
  loaded = false
  original: Account | undefined = undefined
  /** Whether `current` replaces `original` (setAccount was called). */
  set = false
  current: AccountFields | undefined = undefined
  /** Storage starts from the empty trie rather than the original account's storage. */
  storageCleared = false
  /** The storage trie in memory, once opened (null: empty). */
  trie: Node | null | undefined = undefined
  /** Root hash of `trie` once `pending` has been applied to it. */
  storageRoot: Uint8Array | undefined = undefined
  /** Slots written and not yet applied to `trie` (key → slot). */
  readonly pending = new Map<string, Uint8Array>()
  /** 32-byte values known in this world state: written, or read. */
  readonly slots = new Map<string, Uint8Array>()
  dirty = false

  constructor(path: Uint8Array) {
    this.path = path
  }

  fields(): AccountFields | undefined {
    return this.set ? this.current : this.original
  }

  baseStorageRoot(): Uint8Array {
    if (this.storageCleared) return EMPTY_ROOT
    return this.original?.storageRoot ?? EMPTY_ROOT
  }

  /** Storage root as of the last flush (callers flush first when `pending` is not empty). */
  storageRootNow(): Uint8Array {
    return this.storageRoot ?? this.baseStorageRoot()
  }

  /**
   * The account as it would be written: `undefined` if it does not exist (storage written to a
   * missing account creates it, as go-ethereum's `GetOrNewStateObject`).
   */
  accountNow(): Account | undefined {
    const f = this.fields()
    const storageRoot = this.storageRootNow()
    if (f === undefined) {
      if (equalBytes(storageRoot, EMPTY_ROOT)) return undefined
      return { nonce: 0n, balance: 0n, storageRoot, codeHash: EMPTY_CODE_HASH }
    }
    return { nonce: f.nonce, balance: f.balance, storageRoot, codeHash: f.codeHash }
  }
}

function copyAccount(a: Account): Account {
  return {
    nonce: a.nonce,
    balance: a.balance,
    storageRoot: a.storageRoot.slice(),
    codeHash: a.codeHash.slice(),
  }
}

/** The result of a synchronous try: the value, or the node it missed. */
function attempt<T>(op: () => T): T | MissingNode {
  try {
    return op()
  } catch (e) {
    if (e instanceof MissingNode) return e
    throw e
  }
}

export class World implements WorldState {
  readonly #store: NodeStore
  #accountTrie: Node | null
  #rootHash: Uint8Array
  readonly #entries = new Map<string, Entry>()
  readonly #dirty = new Set<Entry>()
  readonly #code = new Map<string, { hash: Uint8Array; code: Uint8Array }>()
  readonly #slotPaths = new Map<string, Uint8Array>()
  readonly #local: LocalNodes = new Map()
  readonly #r: Resolver

  constructor(store: NodeStore, root: Uint8Array) {
    checkLength(root, 32, 'state root')
    this.#store = store
    this.#rootHash = root.slice()
    this.#accountTrie = equalBytes(root, EMPTY_ROOT) ? null : new HashNode(this.#rootHash)
    this.#r = store.resolver(this.#local)
  }

  // -------------------------------------------------------------------------------------------
  // reads

  async getAccount(address: Uint8Array): Promise<Account | undefined> {
    const e = await this.#loaded(address)
    if (e.pending.size > 0) await this.#flushStorage([e])
    const a = e.accountNow()
    return a === undefined ? undefined : copyAccount(a)
  }

  async getStorage(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    checkLength(slot, 32, 'slot')
    const e = await this.#loaded(address)
    const sk = keyOf(slot)
    const known = e.slots.get(sk)
    if (known !== undefined) return known.slice()
    if (e.fields() === undefined && e.pending.size === 0 && e.storageRoot === undefined) {
      return new Uint8Array(32)
    }
    const trie = this.#openStorage(e)
    if (trie === null) return new Uint8Array(32)
    const path = this.#slotPath(sk, slot)
    const r = this.#r
    let raw = attempt(() => trieGet(trie, path, r))
    if (raw instanceof MissingNode)
      raw = await this.#store.run(() => trieGet(trie, path, r), this.#local)
    const v = raw === undefined ? new Uint8Array(32) : decodeStorageValue(raw)
    if (!e.slots.has(sk)) e.slots.set(sk, v)
    return v.slice()
  }

  async getCode(codeHash: Uint8Array): Promise<Uint8Array> {
    checkLength(codeHash, 32, 'code hash')
    if (equalBytes(codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0)
    const p = this.#code.get(keyOf(codeHash))
    if (p !== undefined) return p.code
    const c = await this.#store.getCode(codeHash)
    if (c === undefined) {
      throw new StateError('ErrMissingCode', `code ${toHex(codeHash)} is not in the store`, {
        hash: codeHash,
      })
    }
    return c
  }

  async prefetch(
    accounts: readonly Uint8Array[],
    slots: readonly (readonly [address: Uint8Array, slot: Uint8Array])[] = [],
  ): Promise<void> {
    const es = [...accounts, ...slots.map((s) => s[0])].map((a) => this.#entry(a))
    await this.#load(es.filter((e) => !e.loaded))
    const walks: (readonly [Node | null, Uint8Array])[] = []
    for (const [address, slot] of slots) {
      checkLength(slot, 32, 'slot')
      const e = this.#entry(address)
      const sk = keyOf(slot)
      if (e.slots.has(sk) || e.fields() === undefined) continue
      const t = this.#openStorage(e)
      if (t !== null) walks.push([t, this.#slotPath(sk, slot)])
    }
    await this.#store.prefetch(walks, this.#local)
  }

  // -------------------------------------------------------------------------------------------
  // writes (buffered)

  setAccount(address: Uint8Array, account: Account | undefined): void {
    const e = this.#entry(address)
    e.set = true
    if (account === undefined) {
      e.current = undefined
      this.#clear(e)
    } else {
      checkLength(account.codeHash, 32, 'code hash')
      if (account.nonce < 0n || account.balance < 0n) {
        throw new StateError('ErrInvalidArgument', 'negative nonce or balance')
      }
      e.current = {
        nonce: account.nonce,
        balance: account.balance,
        codeHash: account.codeHash.slice(),
      }
    }
    this.#markDirty(e)
  }

  setStorage(address: Uint8Array, slot: Uint8Array, value: Uint8Array): void {
    checkLength(slot, 32, 'slot')
    checkLength(value, 32, 'storage value')
    const e = this.#entry(address)
    const sk = keyOf(slot)
    e.slots.set(sk, value.slice())
    e.pending.set(sk, slot.slice())
    e.storageRoot = undefined
    this.#markDirty(e)
  }

  clearStorage(address: Uint8Array): void {
    const e = this.#entry(address)
    this.#clear(e)
    this.#markDirty(e)
  }

  setCode(codeHash: Uint8Array, code: Uint8Array): void {
    checkLength(codeHash, 32, 'code hash')
    if (code.length === 0) return
    this.#code.set(keyOf(codeHash), { hash: codeHash.slice(), code: code.slice() })
  }

  // -------------------------------------------------------------------------------------------
  // hashing and commit

  async root(): Promise<Uint8Array> {
    if (this.#dirty.size === 0) return this.#rootHash.slice()
    const dirty = [...this.#dirty]
    await this.#load(dirty.filter((e) => !e.loaded))
    await this.#flushStorage(dirty.filter((e) => e.pending.size > 0))
    let t = this.#accountTrie
    await this.#store.prefetch(
      dirty.map((e) => [t, e.path] as const),
      this.#local,
    )
    const r = this.#r
    for (const e of dirty) {
      const a = e.accountNow()
      const path = e.path
      const base = t
      const op =
        a === undefined
          ? () => trieDelete(base, path, 0, r)
          : (() => {
              const value = encodeAccount(a)
              return () => trieInsert(base, path, 0, value, r)
            })()
      const next = attempt(op)
      t = next instanceof MissingNode ? await this.#store.run(op, this.#local) : next
    }
    this.#accountTrie = t
    for (const e of dirty) {
      e.dirty = false
      this.#dirty.delete(e)
    }
    this.#rootHash = rootOf(t, this.#store)
    return this.#rootHash.slice()
  }

  async commit(): Promise<StateCommit> {
    const root = await this.root()
    const all: BatchOp[] = []
    for (const e of this.#entries.values()) {
      if (e.trie !== undefined) collectDirty(e.trie, all, true)
    }
    collectDirty(this.#accountTrie, all, true)
    // identical subtrees made in two tries (two accounts given the same storage) are one node
    const seen = new Set<string>()
    const ops: BatchOp[] = []
    for (const op of all) {
      const k = keyOf(op.key)
      if (seen.has(k)) continue
      seen.add(k)
      ops.push(op)
    }
    for (const { hash, code } of this.#code.values()) {
      ops.push({ type: 'put', key: codeKey(hash), value: code })
    }
    this.#code.clear()
    this.#local.clear()
    return { root, ops }
  }

  // -------------------------------------------------------------------------------------------
  // internals

  #entry(address: Uint8Array): Entry {
    checkLength(address, 20, 'address')
    const k = keyOf(address)
    let e = this.#entries.get(k)
    if (e === undefined) {
      e = new Entry(toNibbles(this.#store.hasher(address)))
      this.#entries.set(k, e)
    }
    return e
  }

  async #loaded(address: Uint8Array): Promise<Entry> {
    const e = this.#entry(address)
    if (!e.loaded) await this.#load([e])
    return e
  }

  /** Reads the original accounts of entries not loaded yet (from the trie as opened: an entry not
   * loaded was never written to the trie, so the current trie holds its original value). */
  async #load(es: Entry[]): Promise<void> {
    if (es.length === 0) return
    const t = this.#accountTrie
    await this.#store.prefetch(
      es.map((e) => [t, e.path] as const),
      this.#local,
    )
    const r = this.#r
    for (const e of es) {
      if (e.loaded) continue
      const path = e.path
      const op = () => trieGet(t, path, r)
      let raw = attempt(op)
      if (raw instanceof MissingNode) raw = await this.#store.run(op, this.#local)
      if (e.loaded) continue
      e.original = raw === undefined ? undefined : decodeAccount(raw)
      e.loaded = true
    }
  }

  #openStorage(e: Entry): Node | null {
    if (e.trie === undefined) {
      const base = e.baseStorageRoot()
      e.trie = equalBytes(base, EMPTY_ROOT) ? null : new HashNode(base)
    }
    return e.trie
  }

  #slotPath(sk: string, slot: Uint8Array): Uint8Array {
    let p = this.#slotPaths.get(sk)
    if (p === undefined) {
      p = toNibbles(this.#store.hasher(slot))
      this.#slotPaths.set(sk, p)
    }
    return p
  }

  #clear(e: Entry): void {
    e.storageCleared = true
    e.trie = null
    e.storageRoot = EMPTY_ROOT
    e.pending.clear()
    e.slots.clear()
  }

  #markDirty(e: Entry): void {
    if (!e.dirty) {
      e.dirty = true
      this.#dirty.add(e)
    }
  }

  /** Applies pending storage writes of loaded entries to their tries and hashes the new roots. */
  async #flushStorage(es: Entry[]): Promise<void> {
    if (es.length === 0) return
    await this.#load(es.filter((e) => !e.loaded))
    const walks: (readonly [Node | null, Uint8Array])[] = []
    for (const e of es) {
      const t = this.#openStorage(e)
      for (const [sk, slot] of e.pending) walks.push([t, this.#slotPath(sk, slot)])
    }
    await this.#store.prefetch(walks, this.#local)
    const r = this.#r
    for (const e of es) {
      let t = this.#openStorage(e)
      for (const [sk, slot] of e.pending) {
        const path = this.#slotPath(sk, slot)
        const v = e.slots.get(sk)!
        const base = t
        const op = isZero(v)
          ? () => trieDelete(base, path, 0, r)
          : (() => {
              const value = encodeStorageValue(v)
              return () => trieInsert(base, path, 0, value, r)
            })()
        const next = attempt(op)
        t = next instanceof MissingNode ? await this.#store.run(op, this.#local) : next
      }
      e.trie = t
      e.pending.clear()
      e.storageRoot = rootOf(t, this.#store)
    }
  }
}

/** Hash of a trie root (the empty root for no trie). */
export function rootOf(t: Node | null, store: NodeStore): Uint8Array {
  if (t === null) return EMPTY_ROOT
  if (t.kind === HASH) return t.hash
  return hashRoot(t, store.hasher)
}

/** Puts for every node made since the last commit, children first; marks them stored. */
export function collectDirty(n: Node | null, out: BatchOp[], isRoot: boolean): void {
  if (n === null || n.kind === HASH || !n.dirty) return
  const m = n as Real
  m.dirty = false
  if (m.kind === 2) {
    const cs = m.children
    for (let i = 0; i < 16; i++) collectDirty(cs[i]!, out, false)
  } else if (m.kind === 1) collectDirty(m.child, out, false)
  const enc = m.enc!
  if (isRoot || enc.length >= 32) out.push({ type: 'put', key: m.hash!, value: enc })
}
