/**
 * Test doubles of @ethwire/executor: an in-memory state database whose roots are computed from
 * scratch with `@ethwire/rlp-wire`'s reference trie (slow for big states, exact for tests), and a
 * genesis-alloc loader.
 */
import { privateKeyToAddress, sign } from '@ethwire/crypto'
import {
  bigIntToBytes,
  bytesToBigInt,
  EMPTY_TRIE_ROOT,
  hexToBytes,
  keccak256,
  rlpEncode,
  Transaction,
  type TxData,
  trieRoot,
} from '@ethwire/rlp-wire'
import { EMPTY_CODE_HASH, hexKey } from './adapter.js'
import type { Account, BatchOp, StateOpener, WorldState } from './types.js'

interface StoredAccount {
  account: Account
  storage: Map<string, Uint8Array>
  storageRoot: Uint8Array
}
type Snapshot = Map<string, StoredAccount>

/** A genesis.json `alloc` entry. */
export interface AllocAccount {
  balance?: string
  nonce?: string
  code?: string
  storage?: Record<string, string>
}

const fixed = (s: string, len: number) => {
  const v = BigInt(s.startsWith('0x') ? s : `0x${s}`)
  const b = bigIntToBytes(v)
  const out = new Uint8Array(len)
  out.set(b, len - b.length)
  return out
}
const isZero = (b: Uint8Array) => b.every((x) => x === 0)
const strip = (b: Uint8Array) => {
  let i = 0
  while (i < b.length && b[i] === 0) i++
  return b.subarray(i)
}

export interface MemoryStateDatabase extends StateOpener {
  /** Loads a genesis alloc and returns its state root. */
  loadGenesis(alloc: Record<string, AllocAccount>): Uint8Array
  /** Every account at a root (address hex → account, storage slot hex → 32-byte value, code). */
  dump(
    root: Uint8Array,
  ): Map<string, { account: Account; storage: Map<string, Uint8Array>; code?: Uint8Array }>
  hasRoot(root: Uint8Array): Promise<boolean>
}

/** An in-memory state database (every root kept; nothing written anywhere). */
export function createMemoryStateDatabase(): MemoryStateDatabase {
  const roots = new Map<string, Snapshot>()
  const codes = new Map<string, Uint8Array>()
  roots.set(hexKey(EMPTY_TRIE_ROOT), new Map())

  const storageRootOf = (storage: Map<string, Uint8Array>) =>
    storage.size === 0
      ? EMPTY_TRIE_ROOT
      : trieRoot(
          [...storage].map(
            ([k, v]) => [keccak256(hexToBytes(k)), rlpEncode(strip(v))] as [Uint8Array, Uint8Array],
          ),
        )
  const rootOf = (snap: Snapshot) =>
    snap.size === 0
      ? EMPTY_TRIE_ROOT
      : trieRoot(
          [...snap].map(([a, s]) => [
            keccak256(hexToBytes(a)),
            rlpEncode([s.account.nonce, s.account.balance, s.storageRoot, s.account.codeHash]),
          ]),
        )

  const open = (at: Uint8Array): WorldState => {
    const base = roots.get(hexKey(at))
    if (!base) throw new Error(`unknown state root ${hexKey(at)}`)
    const snap: Snapshot = new Map(base)
    const dirtyStorage = new Set<string>()
    const own = new Set<string>()
    const mine = (a: string): StoredAccount | undefined => {
      const s = snap.get(a)
      if (!s || own.has(a)) return s
      const copy = {
        account: { ...s.account },
        storage: new Map(s.storage),
        storageRoot: s.storageRoot,
      }
      snap.set(a, copy)
      own.add(a)
      return copy
    }
    const root = async () => {
      for (const a of dirtyStorage) {
        const s = snap.get(a)
        if (s) s.storageRoot = storageRootOf(s.storage)
      }
      dirtyStorage.clear()
      return rootOf(snap)
    }
    return {
      async getAccount(address) {
        const s = snap.get(hexKey(address))
        return s ? { ...s.account, storageRoot: s.storageRoot } : undefined
      },
      async getStorage(address, slot) {
        return snap.get(hexKey(address))?.storage.get(hexKey(slot)) ?? new Uint8Array(32)
      },
      async getCode(codeHash) {
        return codes.get(hexKey(codeHash))
      },
      setAccount(address, account) {
        const a = hexKey(address)
        if (!account) {
          snap.delete(a)
          own.delete(a)
          return
        }
        const s = mine(a)
        if (s) s.account = { ...account }
        else {
          snap.set(a, { account: { ...account }, storage: new Map(), storageRoot: EMPTY_TRIE_ROOT })
          own.add(a)
        }
      },
      setStorage(address, slot, value) {
        const a = hexKey(address)
        let s = mine(a)
        if (!s) {
          s = {
            account: {
              nonce: 0n,
              balance: 0n,
              storageRoot: EMPTY_TRIE_ROOT,
              codeHash: EMPTY_CODE_HASH,
            },
            storage: new Map(),
            storageRoot: EMPTY_TRIE_ROOT,
          }
          snap.set(a, s)
          own.add(a)
        }
        if (isZero(value)) s.storage.delete(hexKey(slot))
        else s.storage.set(hexKey(slot), value.slice())
        dirtyStorage.add(a)
      },
      clearStorage(address) {
        const a = hexKey(address)
        const s = mine(a)
        if (s) {
          s.storage = new Map()
          s.storageRoot = EMPTY_TRIE_ROOT
        }
      },
      setCode(codeHash, code) {
        codes.set(hexKey(codeHash), code)
      },
      root,
      async commit() {
        const r = await root()
        // Freeze: later writes to this world state must not leak into the stored snapshot.
        const frozen: Snapshot = new Map(snap)
        roots.set(hexKey(r), frozen)
        own.clear()
        return { root: r, ops: [] as BatchOp[] }
      },
    }
  }

  return {
    open,
    hasRoot: async (root) => roots.has(hexKey(root)),
    loadGenesis(alloc) {
      const snap: Snapshot = new Map()
      for (const [addrHex, acc] of Object.entries(alloc)) {
        const code = acc.code
          ? hexToBytes(acc.code.startsWith('0x') ? acc.code : `0x${acc.code}`)
          : undefined
        const codeHash = code?.length ? keccak256(code) : EMPTY_CODE_HASH
        if (code?.length) codes.set(hexKey(codeHash), code)
        const storage = new Map<string, Uint8Array>()
        for (const [k, v] of Object.entries(acc.storage ?? {})) {
          const val = fixed(v, 32)
          if (!isZero(val)) storage.set(hexKey(fixed(k, 32)), val)
        }
        snap.set(hexKey(fixed(addrHex, 20)), {
          account: {
            nonce: acc.nonce ? BigInt(acc.nonce) : 0n,
            balance: acc.balance ? BigInt(acc.balance) : 0n,
            storageRoot: EMPTY_TRIE_ROOT,
            codeHash,
          },
          storage,
          storageRoot: storageRootOf(storage),
        })
      }
      const r = rootOf(snap)
      roots.set(hexKey(r), snap)
      return r
    },
    dump(root) {
      const snap = roots.get(hexKey(root))
      if (!snap) throw new Error('unknown root')
      const out = new Map<
        string,
        { account: Account; storage: Map<string, Uint8Array>; code?: Uint8Array }
      >()
      for (const [a, s] of snap) {
        const code = codes.get(hexKey(s.account.codeHash))
        out.set(a, {
          account: { ...s.account, storageRoot: s.storageRoot },
          storage: s.storage,
          ...(code ? { code } : {}),
        })
      }
      return out
    },
  }
}

export { bytesToBigInt }

/** Signs a transaction (legacy with EIP-155 when `chainId` is set, typed otherwise). */
export function signTransaction(
  data: Omit<TxData, 'v' | 'r' | 's'> & Partial<Pick<TxData, 'v' | 'r' | 's'>>,
  privateKey: Uint8Array,
): Transaction {
  const unsigned = Transaction.fromData({
    ...data,
    v: data.type === 0 && data.chainId !== undefined ? 35n + 2n * data.chainId : 27n,
    r: 1n,
    s: 1n,
  } as TxData)
  const { r, s, recovery } = sign(unsigned.sigHash(), privateKey)
  const v =
    data.type !== 0
      ? BigInt(recovery)
      : data.chainId !== undefined
        ? 35n + 2n * data.chainId + BigInt(recovery)
        : 27n + BigInt(recovery)
  return Transaction.fromData({ ...(data as TxData), v, r, s })
}

/** A transfer of `value` wei (type 2, 21,000 gas). */
export function transfer(o: {
  key: Uint8Array
  to: Uint8Array
  value: bigint
  nonce: bigint
  chainId: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
}): Transaction {
  return signTransaction(
    {
      type: 2,
      chainId: o.chainId,
      nonce: o.nonce,
      maxPriorityFeePerGas: o.maxPriorityFeePerGas ?? 1n,
      maxFeePerGas: o.maxFeePerGas ?? 100_000_000_000n,
      gasLimit: 21000n,
      to: o.to,
      value: o.value,
      data: new Uint8Array(0),
      accessList: [],
    },
    o.key,
  )
}

export { privateKeyToAddress }
