/**
 * EthereumJS `StateManagerInterface` over a {@link WorldState}: an overlay of the block's changes
 * with its own journal (checkpoint / commit / revert as an undo log), read caches, and the
 * per-transaction original-storage cache EIP-2200/EIP-3529 gas metering needs. Changes reach the
 * world state only in {@link StateAdapter.flush} (before a root is taken), so a reverted call never
 * touches the trie.
 */
import type { StateManagerInterface } from '@ethereumjs/common'
import { type Address, Account as EjsAccount } from '@ethereumjs/util'
import { EMPTY_TRIE_ROOT, keccak256 } from '@ethwire/rlp-wire'
import type { Account, WorldState } from './types.js'

const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))
/** Lower-case hex without prefix (map keys). */
export function hexKey(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += HEX[b[i] as number]
  return s
}

export const EMPTY_CODE_HASH = keccak256(new Uint8Array(0))
const ZERO32 = new Uint8Array(32)
const EMPTY = new Uint8Array(0)

const isZero = (b: Uint8Array) => {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
  return true
}
const eq = (a: Uint8Array, b: Uint8Array) => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
/** Right-aligns `v` into 32 bytes. */
const pad32 = (v: Uint8Array): Uint8Array => {
  if (v.length === 32) return v
  const out = new Uint8Array(32)
  out.set(v.length > 32 ? v.subarray(v.length - 32) : v, 32 - Math.min(32, v.length))
  return out
}
/** Strips leading zeros (EthereumJS's storage value convention). */
const strip = (v: Uint8Array): Uint8Array => {
  let i = 0
  while (i < v.length && v[i] === 0) i++
  return i === 0 ? v : v.subarray(i)
}

/** An account as the EVM sees it, or null when it does not exist. */
export type Acc = Account | null

type Entry =
  | { t: 0; a: string; prev: Acc | undefined }
  | { t: 1; a: string; k: string; prev: Uint8Array | undefined }
  | { t: 2; a: string; prev: Map<string, Uint8Array> | undefined; wasCleared: boolean }

/** The adapter the executor hands to EthereumJS's EVM. */
export class StateAdapter implements StateManagerInterface {
  /** Overlay of changed accounts (null = deleted) since the last flush. */
  private accounts = new Map<string, Acc>()
  /** Overlay of changed storage (32-byte values) since the last flush. */
  private storage = new Map<string, Map<string, Uint8Array>>()
  /** Accounts whose storage was cleared since the last flush. */
  private cleared = new Set<string>()
  /** New code by code hash. */
  private newCode = new Map<string, Uint8Array>()
  /** Reads of the world state (and flushed values). */
  private accountReads = new Map<string, Acc>()
  private storageReads = new Map<string, Map<string, Uint8Array>>()
  private codeReads = new Map<string, Uint8Array>()
  private addresses = new Map<string, Uint8Array>()
  private journal: Entry[] = []
  private marks: number[] = []
  private original = new Map<string, Uint8Array>()

  readonly originalStorageCache: StateManagerInterface['originalStorageCache']

  constructor(public world: WorldState) {
    this.originalStorageCache = {
      get: (address, key) => this.getOriginalStorage(address, key),
      clear: () => this.original.clear(),
    }
  }

  /**
   * Points the adapter at another world state (the next block). With `keepReads` (the new world
   * state is at exactly the root the last block committed) the read caches stay: they then hold the
   * values at that root, a flat-state cache that spares trie walks for accounts and slots touched
   * recently. They are dropped otherwise, or when they exceed `maxEntries`.
   */
  reset(world: WorldState, keepReads = false, maxEntries = Number.POSITIVE_INFINITY): void {
    this.world = world
    this.accounts.clear()
    this.storage.clear()
    this.cleared.clear()
    this.newCode.clear()
    let entries = this.accountReads.size
    for (const m of this.storageReads.values()) entries += m.size
    if (!keepReads || entries > maxEntries) {
      this.accountReads.clear()
      this.storageReads.clear()
      this.addresses.clear()
    }
    if (!keepReads) this.codeReads.clear()
    this.journal.length = 0
    this.marks.length = 0
    this.original.clear()
  }

  /** Asks the world state to load the accounts and slots not cached here yet (batched reads). */
  async prefetch(
    accounts: readonly Uint8Array[],
    slots: readonly (readonly [Uint8Array, Uint8Array])[] = [],
  ): Promise<void> {
    if (!this.world.prefetch) return
    const seen = new Set<string>()
    const wantAccounts: Uint8Array[] = []
    for (const a of accounts) {
      const k = hexKey(a)
      if (seen.has(k) || this.accountReads.has(k)) continue
      seen.add(k)
      wantAccounts.push(a)
    }
    const wantSlots = slots.filter(([a, s]) => !this.storageReads.get(hexKey(a))?.has(hexKey(s)))
    if (wantAccounts.length || wantSlots.length) await this.world.prefetch(wantAccounts, wantSlots)
  }

  // ---------------------------------------------------------------- accounts

  /** The account at `a` (hex key) as this overlay sees it; null when absent. */
  async readAccount(a: string, bytes: Uint8Array): Promise<Acc> {
    const o = this.accounts.get(a)
    if (o !== undefined) return o
    const r = this.accountReads.get(a)
    if (r !== undefined) return r
    const acc = (await this.world.getAccount(bytes)) ?? null
    this.accountReads.set(a, acc)
    if (!this.addresses.has(a)) this.addresses.set(a, bytes)
    return acc
  }

  /** Sets (journaled) the account at `a`; null deletes it. */
  writeAccount(a: string, bytes: Uint8Array, acc: Acc): void {
    if (!this.addresses.has(a)) this.addresses.set(a, bytes)
    this.journal.push({ t: 0, a, prev: this.accounts.get(a) })
    this.accounts.set(a, acc)
  }

  async getAccount(address: Address): Promise<EjsAccount | undefined> {
    const b = address.bytes
    const acc = await this.readAccount(hexKey(b), b)
    return acc === null
      ? undefined
      : new EjsAccount(acc.nonce, acc.balance, acc.storageRoot, acc.codeHash)
  }

  async putAccount(address: Address, account?: EjsAccount): Promise<void> {
    if (account === undefined) return this.deleteAccount(address)
    const b = address.bytes
    this.writeAccount(hexKey(b), b, {
      nonce: account.nonce,
      balance: account.balance,
      storageRoot: account.storageRoot,
      codeHash: account.codeHash,
    })
  }

  async deleteAccount(address: Address): Promise<void> {
    const b = address.bytes
    const a = hexKey(b)
    this.writeAccount(a, b, null)
    this.clearStorageKey(a)
  }

  async modifyAccountFields(
    address: Address,
    fields: Partial<Pick<EjsAccount, 'nonce' | 'balance' | 'storageRoot' | 'codeHash'>>,
  ): Promise<void> {
    const b = address.bytes
    const a = hexKey(b)
    const cur = (await this.readAccount(a, b)) ?? {
      nonce: 0n,
      balance: 0n,
      storageRoot: EMPTY_TRIE_ROOT,
      codeHash: EMPTY_CODE_HASH,
    }
    this.writeAccount(a, b, {
      nonce: fields.nonce ?? cur.nonce,
      balance: fields.balance ?? cur.balance,
      storageRoot: fields.storageRoot ?? cur.storageRoot,
      codeHash: fields.codeHash ?? cur.codeHash,
    })
  }

  // ---------------------------------------------------------------- code

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    const codeHash = value.length === 0 ? EMPTY_CODE_HASH : keccak256(value)
    if (value.length > 0) this.newCode.set(hexKey(codeHash), value)
    await this.modifyAccountFields(address, { codeHash })
  }

  async codeByHash(codeHash: Uint8Array): Promise<Uint8Array> {
    if (eq(codeHash, EMPTY_CODE_HASH)) return EMPTY
    const h = hexKey(codeHash)
    const c = this.newCode.get(h) ?? this.codeReads.get(h)
    if (c) return c
    const got = await this.world.getCode(codeHash)
    if (!got) throw new Error(`code ${h} missing from the state`)
    this.codeReads.set(h, got)
    return got
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const b = address.bytes
    const acc = await this.readAccount(hexKey(b), b)
    return acc === null ? EMPTY : this.codeByHash(acc.codeHash)
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length
  }

  // ---------------------------------------------------------------- storage

  /** 32-byte value of a slot as the overlay sees it. */
  async readStorage(a: string, bytes: Uint8Array, k: string, key: Uint8Array): Promise<Uint8Array> {
    const o = this.storage.get(a)?.get(k)
    if (o !== undefined) return o
    if (this.cleared.has(a)) return ZERO32
    let reads = this.storageReads.get(a)
    const r = reads?.get(k)
    if (r !== undefined) return r
    const v = pad32(await this.world.getStorage(bytes, key))
    if (!reads) {
      reads = new Map()
      this.storageReads.set(a, reads)
    }
    reads.set(k, v)
    if (!this.addresses.has(a)) this.addresses.set(a, bytes)
    return v
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const b = address.bytes
    const k32 = pad32(key)
    return strip(await this.readStorage(hexKey(b), b, hexKey(k32), k32))
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const b = address.bytes
    const a = hexKey(b)
    const k32 = pad32(key)
    const k = hexKey(k32)
    const ok = `${a}${k}`
    if (!this.original.has(ok)) this.original.set(ok, await this.readStorage(a, b, k, k32))
    if (!this.addresses.has(a)) this.addresses.set(a, b)
    let m = this.storage.get(a)
    if (!m) {
      m = new Map()
      this.storage.set(a, m)
    }
    this.journal.push({ t: 1, a, k, prev: m.get(k) })
    m.set(k, pad32(value))
  }

  private clearStorageKey(a: string): void {
    this.journal.push({ t: 2, a, prev: this.storage.get(a), wasCleared: this.cleared.has(a) })
    this.storage.delete(a)
    this.cleared.add(a)
  }

  async clearStorage(address: Address): Promise<void> {
    const b = address.bytes
    const a = hexKey(b)
    if (!this.addresses.has(a)) this.addresses.set(a, b)
    this.clearStorageKey(a)
    const acc = await this.readAccount(a, b)
    if (acc) this.writeAccount(a, b, { ...acc, storageRoot: EMPTY_TRIE_ROOT })
  }

  private async getOriginalStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const b = address.bytes
    const a = hexKey(b)
    const k32 = pad32(key)
    const k = hexKey(k32)
    const o = this.original.get(`${a}${k}`)
    return strip(o ?? (await this.readStorage(a, b, k, k32)))
  }

  // ---------------------------------------------------------------- journal

  async checkpoint(): Promise<void> {
    this.marks.push(this.journal.length)
  }

  async commit(): Promise<void> {
    this.marks.pop()
    if (this.marks.length === 0) this.journal.length = 0
  }

  async revert(): Promise<void> {
    const mark = this.marks.pop() ?? 0
    for (let i = this.journal.length - 1; i >= mark; i--) {
      const e = this.journal[i] as Entry
      if (e.t === 0) {
        if (e.prev === undefined) this.accounts.delete(e.a)
        else this.accounts.set(e.a, e.prev)
      } else if (e.t === 1) {
        const m = this.storage.get(e.a)
        if (e.prev === undefined) m?.delete(e.k)
        else if (m) m.set(e.k, e.prev)
        else this.storage.set(e.a, new Map([[e.k, e.prev]]))
      } else {
        if (e.prev === undefined) this.storage.delete(e.a)
        else this.storage.set(e.a, e.prev)
        if (!e.wasCleared) this.cleared.delete(e.a)
      }
    }
    this.journal.length = mark
  }

  // ---------------------------------------------------------------- world state

  /** Writes the overlay into the world state (storage clears, slots, code, then accounts). */
  async flush(): Promise<void> {
    if (this.marks.length !== 0) throw new Error('flush inside a checkpoint')
    const w = this.world
    for (const a of this.cleared) {
      await w.clearStorage(this.addresses.get(a) as Uint8Array)
      this.storageReads.delete(a)
    }
    // Accounts whose storage changed get their storage root from the world state on the next read.
    const storageChanged = new Set([...this.cleared, ...this.storage.keys()])
    for (const [a, m] of this.storage) {
      const b = this.addresses.get(a) as Uint8Array
      let reads = this.storageReads.get(a)
      if (!reads) {
        reads = new Map()
        this.storageReads.set(a, reads)
      }
      for (const [k, v] of m) {
        const key = hexToBytes32(k)
        await w.setStorage(b, key, v)
        reads.set(k, v)
      }
    }
    for (const [h, code] of this.newCode) {
      await w.setCode(hexToBytes32(h), code)
      this.codeReads.set(h, code)
    }
    for (const [a, acc] of this.accounts) {
      await w.setAccount(this.addresses.get(a) as Uint8Array, acc ?? undefined)
      if (acc && storageChanged.has(a)) this.accountReads.delete(a)
      else this.accountReads.set(a, acc)
    }
    for (const a of storageChanged) if (!this.accounts.has(a)) this.accountReads.delete(a)
    this.accounts.clear()
    this.storage.clear()
    this.cleared.clear()
    this.newCode.clear()
    this.journal.length = 0
  }

  /** Whether the overlay holds a change not yet flushed. */
  get dirty(): boolean {
    return this.accounts.size > 0 || this.storage.size > 0 || this.cleared.size > 0
  }

  async getStateRoot(): Promise<Uint8Array> {
    await this.flush()
    return this.world.root()
  }

  async setStateRoot(): Promise<void> {
    throw new Error('StateAdapter: setStateRoot is not supported (open a new world state)')
  }

  async hasStateRoot(): Promise<boolean> {
    return false
  }

  clearCaches(): void {
    this.accountReads.clear()
    this.storageReads.clear()
    this.codeReads.clear()
  }

  shallowCopy(): StateManagerInterface {
    throw new Error('StateAdapter: shallowCopy is not supported')
  }
}

const hexToBytes32 = (h: string): Uint8Array => {
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(i * 2, i * 2 + 2), 16)
  return out
}

export { isZero, pad32, strip }
