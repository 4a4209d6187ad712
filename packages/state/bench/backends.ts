/**
 * The two implementations behind one bench interface: @ethwire/state's own trie, and
 * @ethereumjs/mpt driven the way a state manager drives it (one account trie, a storage trie per
 * account kept across blocks, nodes collected from its DB writes as ops for the caller's batch).
 * Both hash with rlp-wire's keccak256.
 */
import { createMPT, type MerklePatriciaTrie } from '@ethereumjs/mpt'
import { type BatchDBOp, type DB, ValueEncoding } from '@ethereumjs/util'
import { hexToBytes, keccak256, rlpDecode, rlpEncode } from '@ethwire/rlp-wire'
import {
  type Account,
  type BatchOp,
  createStateDatabase,
  decodeAccount,
  EMPTY_ROOT,
  encodeAccount,
  type KeyValueReader,
} from '../src/index.js'

export interface BenchWorld {
  getAccount(a: Uint8Array): Promise<Account | undefined>
  setAccount(a: Uint8Array, acc: Account): Promise<void>
  getStorage(a: Uint8Array, slot: Uint8Array): Promise<Uint8Array>
  setStorage(a: Uint8Array, slot: Uint8Array, v: Uint8Array): Promise<void>
  root(): Promise<Uint8Array>
  commit(): Promise<{ root: Uint8Array; ops: BatchOp[] }>
}

export interface Backend {
  name: string
  open(root: Uint8Array): Promise<BenchWorld>
  written(ops: BatchOp[]): void
  read(root: Uint8Array, a: Uint8Array, slot?: Uint8Array): Promise<unknown>
  /** Node reads that reached the store. */
  storeReads(): number
}

/** Cache budgets: ours in bytes, mpt's LRU in nodes (about the same memory: ~400 B a node). */
export const cacheBytes = 64 * 1024 * 1024
export const mptCacheNodes = 160_000

export function ours(kv: KeyValueReader): Backend {
  const db = createStateDatabase({ db: kv, hasher: keccak256 }, { cacheBytes })
  return {
    name: 'ours',
    async open(root) {
      const w = db.open(root)
      return {
        getAccount: (a) => w.getAccount(a),
        setAccount: async (a, acc) => w.setAccount(a, acc),
        getStorage: (a, s) => w.getStorage(a, s),
        setStorage: async (a, s, v) => w.setStorage(a, s, v),
        root: () => w.root(),
        commit: () => w.commit(),
      }
    },
    written: (ops) => db.written(ops),
    read: (root, a, slot) => (slot ? db.getStorage(root, a, slot) : db.getAccount(root, a)),
    storeReads: () => db.stats().storeReads,
  }
}

/** mpt's DB: reads fall through written-not-yet-stored nodes to the store; writes become ops. */
class CollectingDB implements DB<string, string | Uint8Array> {
  overlay = new Map<string, Uint8Array>()
  ops: BatchOp[] = []
  reads = 0
  constructor(readonly kv: KeyValueReader) {}
  async get(key: string): Promise<Uint8Array | undefined> {
    const o = this.overlay.get(key)
    if (o !== undefined) return o
    this.reads++
    const v = await this.kv.get(hexToBytes(key))
    return v ?? undefined
  }
  async put(key: string, val: string | Uint8Array): Promise<void> {
    const value = typeof val === 'string' ? hexToBytes(val) : val
    this.overlay.set(key, value)
    this.ops.push({ type: 'put', key: hexToBytes(key), value })
  }
  async del(): Promise<void> {}
  async batch(opStack: BatchDBOp<string, string | Uint8Array>[]): Promise<void> {
    for (const op of opStack) if (op.type === 'put') await this.put(op.key, op.value)
  }
  shallowCopy(): DB<string, string | Uint8Array> {
    return this
  }
  async open(): Promise<void> {}
}

const hexKey = (b: Uint8Array) => Buffer.from(b).toString('hex')

function decodeValue(raw: Uint8Array | null): Uint8Array {
  const out = new Uint8Array(32)
  if (raw === null) return out
  const v = rlpDecode(raw) as Uint8Array
  out.set(v, 32 - v.length)
  return out
}

function strip(v: Uint8Array): Uint8Array {
  let i = 0
  while (i < v.length && v[i] === 0) i++
  return v.subarray(i)
}

export async function mpt(kv: KeyValueReader): Promise<Backend> {
  const cdb = new CollectingDB(kv)
  const opts = {
    db: cdb,
    useKeyHashing: true,
    useKeyHashingFunction: keccak256,
    valueEncoding: ValueEncoding.Bytes,
    cacheSize: mptCacheNodes,
  }
  const accountTrie = await createMPT(opts)
  const storageTries = new Map<string, MerklePatriciaTrie>()
  const storageTrie = async (a: Uint8Array, root: Uint8Array) => {
    const k = hexKey(a)
    let t = storageTries.get(k)
    if (t === undefined) {
      t = await createMPT({ ...opts, cacheSize: 10_000 })
      storageTries.set(k, t)
    }
    t.root(root)
    return t
  }
  return {
    name: 'mpt',
    async open(root) {
      accountTrie.root(root)
      const pending = new Map<string, { a: Uint8Array; acc: Account }>()
      const touched = new Map<string, { a: Uint8Array; t: MerklePatriciaTrie }>()
      const getAccount = async (a: Uint8Array) => {
        const p = pending.get(hexKey(a))
        if (p) return p.acc
        const raw = await accountTrie.get(a)
        return raw === null ? undefined : decodeAccount(raw)
      }
      const openStorage = async (a: Uint8Array) => {
        const k = hexKey(a)
        const t = touched.get(k)
        if (t) return t.t
        const acc = await getAccount(a)
        const st = await storageTrie(a, acc?.storageRoot ?? EMPTY_ROOT)
        touched.set(k, { a, t: st })
        return st
      }
      const w: BenchWorld = {
        getAccount,
        async setAccount(a, acc) {
          pending.set(hexKey(a), { a, acc })
        },
        async getStorage(a, s) {
          return decodeValue(await (await openStorage(a)).get(s))
        },
        async setStorage(a, s, v) {
          const t = await openStorage(a)
          if (v.every((b) => b === 0)) await t.del(s)
          else await t.put(s, rlpEncode(strip(v)))
        },
        async root() {
          for (const [k, { a, t }] of touched) {
            const acc = (await getAccount(a))!
            pending.set(k, { a, acc: { ...acc, storageRoot: t.root() } })
          }
          for (const { a, acc } of pending.values()) await accountTrie.put(a, encodeAccount(acc))
          pending.clear()
          return accountTrie.root()
        },
        async commit() {
          const root = await w.root()
          touched.clear()
          const ops = cdb.ops
          cdb.ops = []
          return { root, ops }
        },
      }
      return w
    },
    written(ops) {
      for (const op of ops) cdb.overlay.delete(hexKey(op.key))
    },
    async read(root, a, slot) {
      accountTrie.root(root)
      const raw = await accountTrie.get(a)
      if (!slot) return raw === null ? undefined : decodeAccount(raw)
      if (raw === null) return new Uint8Array(32)
      const t = await storageTrie(a, decodeAccount(raw).storageRoot)
      return decodeValue(await t.get(slot))
    },
    storeReads: () => cdb.reads,
  }
}
