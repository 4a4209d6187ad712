/** `createStateDatabase`: world states, reads at any stored root, proofs and node-data serving. */
import { keccak256 } from '@ethwire/rlp-wire'
import {
  checkLength,
  decodeAccount,
  decodeStorageValue,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  equalBytes,
} from './account.js'
import { keyOf } from './cache.js'
import { defaultCacheBytes, defaultCodeCacheBytes } from './constants.js'
import { HashNode, toNibbles } from './node.js'
import { buildProof } from './proof.js'
import { codeKey, type LocalNodes, NodeStore } from './store.js'
import { createTrieSync, type TrieSync, type TrieSyncOptions } from './sync.js'
import { trieGet } from './trie.js'
import type {
  Account,
  AccountProof,
  BatchOp,
  GetNodeDataOptions,
  StateDatabase,
  StateDatabaseComponents,
  StateDatabaseOptions,
  StateStats,
} from './types.js'
import { World } from './world.js'

class Database implements StateDatabase {
  readonly #store: NodeStore

  constructor(store: NodeStore) {
    this.#store = store
  }

  open(root: Uint8Array): World {
    return new World(this.#store, root)
  }

  async getAccount(root: Uint8Array, address: Uint8Array): Promise<Account | undefined> {
    checkLength(root, 32, 'state root')
    checkLength(address, 20, 'address')
    if (equalBytes(root, EMPTY_ROOT)) return undefined
    const raw = await this.#get(root, this.#store.hasher(address))
    return raw === undefined ? undefined : decodeAccount(raw)
  }

  async getStorage(root: Uint8Array, address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    checkLength(slot, 32, 'slot')
    const a = await this.getAccount(root, address)
    if (a === undefined || equalBytes(a.storageRoot, EMPTY_ROOT)) return new Uint8Array(32)
    const raw = await this.#get(a.storageRoot, this.#store.hasher(slot))
    return raw === undefined ? new Uint8Array(32) : decodeStorageValue(raw)
  }

  async getCode(codeHash: Uint8Array): Promise<Uint8Array | undefined> {
    checkLength(codeHash, 32, 'code hash')
    if (equalBytes(codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0)
    return this.#store.getCode(codeHash)
  }

  async hasRoot(root: Uint8Array): Promise<boolean> {
    checkLength(root, 32, 'state root')
    if (equalBytes(root, EMPTY_ROOT)) return true
    if (this.#store.cache.has(keyOf(root))) return true
    const [v] = await this.#store.getRaw([root])
    return v !== undefined && v !== null
  }

  getProof(root: Uint8Array, address: Uint8Array, slots: Uint8Array[]): Promise<AccountProof> {
    return buildProof(this.#store, root, address, slots)
  }

  async getNodeData(hashes: Uint8Array[], options: GetNodeDataOptions = {}): Promise<Uint8Array[]> {
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
    const maxItems = options.maxItems ?? Number.POSITIVE_INFINITY
    const store = this.#store
    const out: Uint8Array[] = []
    let bytes = 0
    // In chunks, so a byte budget does not read far past what it returns.
    const chunk = 64
    for (let i = 0; i < hashes.length && bytes < maxBytes && out.length < maxItems; i += chunk) {
      const part = hashes.slice(i, i + chunk).filter((h) => h.length === 32)
      const found: (Uint8Array | undefined)[] = new Array(part.length)
      const ask: number[] = []
      for (let j = 0; j < part.length; j++) {
        const k = keyOf(part[j]!)
        const c = store.cache.peek(k)
        if (c !== undefined) found[j] = c instanceof Uint8Array ? c : c.enc
        else {
          const code = store.codeCache.peek(k)
          if (code !== undefined) found[j] = code
          else ask.push(j)
        }
      }
      if (ask.length > 0) {
        const nodes = await store.getRaw(ask.map((j) => part[j]!))
        const codeAsk: number[] = []
        ask.forEach((j, x) => {
          const v = nodes[x]
          if (v !== undefined && v !== null) found[j] = v
          else codeAsk.push(j)
        })
        if (codeAsk.length > 0) {
          const codes = await store.getRaw(codeAsk.map((j) => codeKey(part[j]!)))
          codeAsk.forEach((j, x) => {
            const v = codes[x]
            if (v !== undefined && v !== null) found[j] = v
          })
        }
      }
      for (const v of found) {
        if (v === undefined) continue
        if (bytes >= maxBytes || out.length >= maxItems) break
        out.push(v)
        bytes += v.length
      }
    }
    return out
  }

  written(ops: readonly BatchOp[]): void {
    this.#store.written(ops)
  }

  trieSync(root: Uint8Array, options?: TrieSyncOptions): Promise<TrieSync> {
    checkLength(root, 32, 'state root')
    return createTrieSync(root, { db: this.#store.db, hasher: this.#store.hasher }, options)
  }

  stats(): StateStats {
    const s = this.#store
    return {
      cacheBytes: s.cache.bytes,
      cacheNodes: s.cache.size,
      cacheHits: s.cache.hits,
      cacheMisses: s.cache.misses,
      storeReads: s.storeReads,
    }
  }

  async #get(root: Uint8Array, key: Uint8Array): Promise<Uint8Array | undefined> {
    const local: LocalNodes = new Map()
    const r = this.#store.resolver(local)
    const start = new HashNode(root)
    const path = toNibbles(key)
    return this.#store.run(() => trieGet(start, path, r), local)
  }
}

/**
 * The state database over the caller's key-value store. It never writes: world states return put
 * ops for the caller's batch, and `written(ops)` tells it they are stored.
 */
export function createStateDatabase(
  components: StateDatabaseComponents,
  options: StateDatabaseOptions = {},
): StateDatabase {
  const store = new NodeStore(
    components.db,
    components.hasher ?? keccak256,
    options.cacheBytes ?? defaultCacheBytes,
    options.codeCacheBytes ?? defaultCodeCacheBytes,
  )
  return new Database(store)
}
