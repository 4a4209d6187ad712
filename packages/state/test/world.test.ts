import { keccak256, rlpEncode, trieRoot } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  type Account,
  createStateDatabase,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  encodeAccount,
  isStateError,
} from '../src/index.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { addr, hex, word } from './helpers.js'

const acct = (nonce: bigint, balance: bigint, codeHash = EMPTY_CODE_HASH): Account => ({
  nonce,
  balance,
  storageRoot: EMPTY_ROOT,
  codeHash,
})

/** Reference model: what the state should be, and its root through rlp-wire's pure trieRoot. */
class Model {
  accounts = new Map<string, { a: Account; storage: Map<string, bigint> }>()
  set(address: Uint8Array, a: Account | undefined) {
    const k = hex(address)
    if (a === undefined) this.accounts.delete(k)
    else {
      const old = this.accounts.get(k)
      this.accounts.set(k, { a, storage: old?.storage ?? new Map() })
    }
  }
  setStorage(address: Uint8Array, slot: Uint8Array, v: bigint) {
    const e = this.accounts.get(hex(address))!
    if (v === 0n) e.storage.delete(hex(slot))
    else e.storage.set(hex(slot), v)
  }
  clear(address: Uint8Array) {
    this.accounts.get(hex(address))!.storage = new Map()
  }
  storageRoot(k: string): Uint8Array {
    const s = this.accounts.get(k)!.storage
    return trieRoot(
      [...s].map(([slot, v]) => [keccak256(Buffer.from(slot, 'hex')), rlpEncode(v)] as const),
    )
  }
  root(): Uint8Array {
    return trieRoot(
      [...this.accounts].map(([k, { a }]) => [
        keccak256(Buffer.from(k, 'hex')),
        encodeAccount({ ...a, storageRoot: this.storageRoot(k) }),
      ]),
    )
  }
}

describe('world state', () => {
  it('empty root, reads of absent things', async () => {
    const db = createStateDatabase({ db: new MemoryKeyValueStore() })
    const w = db.open(EMPTY_ROOT)
    expect(hex(await w.root())).toBe(hex(EMPTY_ROOT))
    expect(await w.getAccount(addr(1))).toBeUndefined()
    expect(await w.getStorage(addr(1), word(1))).toEqual(new Uint8Array(32))
    expect(await w.getCode(EMPTY_CODE_HASH)).toEqual(new Uint8Array(0))
    expect((await w.commit()).ops).toEqual([])
    expect(await db.hasRoot(EMPTY_ROOT)).toBe(true)
  })

  it('roots agree with the pure trieRoot after each change; commits store them', async () => {
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const m = new Model()
    let root = EMPTY_ROOT
    for (let block = 0; block < 6; block++) {
      const w = db.open(root)
      for (let i = 0; i < 30; i++) {
        const a = addr((block * 7 + i) % 40)
        const old = await w.getAccount(a)
        const next = acct((old?.nonce ?? 0n) + 1n, (old?.balance ?? 0n) + BigInt(i))
        w.setAccount(a, next)
        m.set(a, next)
        if (i % 3 === 0) {
          const slot = word(i % 5)
          w.setStorage(a, slot, word(block + i))
          m.setStorage(a, slot, BigInt(block + i))
        }
        if (i % 11 === 10) {
          w.setAccount(addr(i), undefined)
          m.set(addr(i), undefined)
        }
        if (i % 10 === 0) expect(hex(await w.root())).toBe(hex(m.root()))
      }
      const c = await w.commit()
      expect(hex(c.root)).toBe(hex(m.root()))
      kv.write(c.ops)
      db.written(c.ops)
      root = c.root
      expect(await db.hasRoot(root)).toBe(true)
    }
    // a fresh database (cold cache) over the same store reads the same state
    const cold = createStateDatabase({ db: kv })
    for (const [k, { a, storage }] of m.accounts) {
      const address = Buffer.from(k, 'hex')
      const got = await cold.getAccount(root, address)
      expect(got?.nonce).toBe(a.nonce)
      expect(got?.balance).toBe(a.balance)
      expect(hex(got!.storageRoot)).toBe(hex(m.storageRoot(k)))
      for (const [slot, v] of storage) {
        expect(hex(await cold.getStorage(root, address, Buffer.from(slot, 'hex')))).toBe(
          hex(word(v)),
        )
      }
    }
  })

  it('storage: zero deletes, clearStorage and account deletion drop it, getAccount sees pending writes', async () => {
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const w = db.open(EMPTY_ROOT)
    const a = addr(1)
    w.setAccount(a, acct(1n, 5n))
    w.setStorage(a, word(1), word(7))
    w.setStorage(a, word(2), word(8))
    const withTwo = (await w.getAccount(a))!.storageRoot
    expect(hex(withTwo)).not.toBe(hex(EMPTY_ROOT))
    w.setStorage(a, word(2), word(0))
    expect(await w.getStorage(a, word(2))).toEqual(word(0))
    const one = trieRoot([[keccak256(word(1)), rlpEncode(7n)]])
    expect(hex((await w.getAccount(a))!.storageRoot)).toBe(hex(one))
    const c1 = await w.commit()
    kv.write(c1.ops)

    const w2 = db.open(c1.root)
    expect(await w2.getStorage(a, word(1))).toEqual(word(7))
    w2.clearStorage(a)
    expect(await w2.getStorage(a, word(1))).toEqual(word(0))
    expect(hex((await w2.getAccount(a))!.storageRoot)).toBe(hex(EMPTY_ROOT))
    w2.setStorage(a, word(3), word(9))
    const c2 = await w2.commit()
    kv.write(c2.ops)
    expect(await db.getStorage(c2.root, a, word(1))).toEqual(word(0))
    expect(await db.getStorage(c2.root, a, word(3))).toEqual(word(9))

    // delete and re-create: storage starts empty
    const w3 = db.open(c2.root)
    w3.setAccount(a, undefined)
    expect(await w3.getAccount(a)).toBeUndefined()
    w3.setAccount(a, acct(0n, 1n))
    expect(await w3.getStorage(a, word(3))).toEqual(word(0))
    const c3 = await w3.commit()
    expect(hex(c3.root)).toBe(hex(trieRoot([[keccak256(a), encodeAccount(acct(0n, 1n))]])))
  })

  it('blind writes (no read first) keep the stored storage and fields', async () => {
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const w = db.open(EMPTY_ROOT)
    const a = addr(2)
    w.setAccount(a, acct(3n, 100n))
    w.setStorage(a, word(1), word(1))
    const c = await w.commit()
    kv.write(c.ops)
    // storage written without reading the account: its other slots and fields stay
    const w2 = createStateDatabase({ db: kv }).open(c.root)
    w2.setStorage(a, word(2), word(2))
    const c2 = await w2.commit()
    kv.write(c2.ops)
    const got = await db.getAccount(c2.root, a)
    expect(got?.nonce).toBe(3n)
    expect(got?.balance).toBe(100n)
    expect(await db.getStorage(c2.root, a, word(1))).toEqual(word(1))
    expect(await db.getStorage(c2.root, a, word(2))).toEqual(word(2))
    // setAccount without a read keeps the account's storage (its storageRoot argument is ignored)
    const w3 = createStateDatabase({ db: kv }).open(c2.root)
    w3.setAccount(a, acct(4n, 1n))
    const c3 = await w3.commit()
    kv.write(c3.ops)
    expect(hex((await db.getAccount(c3.root, a))!.storageRoot)).toBe(hex(got!.storageRoot))
  })

  it('code: by hash, pending code visible in its world state, stored under c ++ hash', async () => {
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const code = Uint8Array.of(0x60, 0x00, 0x60, 0x00, 0xf3)
    const h = keccak256(code)
    const w = db.open(EMPTY_ROOT)
    w.setCode(h, code)
    w.setAccount(addr(1), acct(1n, 0n, h))
    expect(await w.getCode(h)).toEqual(code)
    await expect(db.getCode(h)).resolves.toBeUndefined()
    const c = await w.commit()
    const codeOp = c.ops.find((o) => o.key.length === 33)!
    expect(hex(codeOp.key)).toBe(`63${hex(h)}`)
    kv.write(c.ops)
    expect(await db.getCode(h)).toEqual(code)
    const missing = keccak256(Uint8Array.of(1))
    await expect(db.open(c.root).getCode(missing)).rejects.toSatisfy((e) =>
      isStateError(e, 'ErrMissingCode'),
    )
  })

  it('uncommitted nodes never leak: another reader of the new root finds it missing until written', async () => {
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const w = db.open(EMPTY_ROOT)
    w.setAccount(addr(1), acct(1n, 1n))
    w.setAccount(addr(2), acct(1n, 2n))
    const root = await w.root()
    const c = await w.commit()
    expect(await db.hasRoot(root)).toBe(false)
    await expect(db.getAccount(root, addr(1))).rejects.toSatisfy((e) =>
      isStateError(e, 'ErrMissingNode'),
    )
    await expect(db.open(root).getAccount(addr(2))).rejects.toSatisfy((e) =>
      isStateError(e, 'ErrMissingNode'),
    )
    // the world state that made them still reads its own state
    expect((await w.getAccount(addr(2)))?.balance).toBe(2n)
    // written() alone (cache) makes them readable, as does the store
    db.written(c.ops)
    expect(await db.hasRoot(root)).toBe(true)
    expect((await db.getAccount(root, addr(1)))?.balance).toBe(1n)
    const cold = createStateDatabase({ db: kv })
    await expect(cold.getAccount(root, addr(1))).rejects.toSatisfy((e) =>
      isStateError(e, 'ErrMissingNode'),
    )
    kv.write(c.ops)
    expect((await cold.getAccount(root, addr(1)))?.balance).toBe(1n)
  })

  it('root() after every change hashes only the changed path', async () => {
    const kv = new MemoryKeyValueStore()
    let hashes = 0
    const hasher = (b: Uint8Array) => {
      hashes++
      return keccak256(b)
    }
    const db = createStateDatabase({ db: kv, hasher })
    const w = db.open(EMPTY_ROOT)
    for (let i = 0; i < 2000; i++) w.setAccount(addr(i), acct(1n, BigInt(i)))
    const c = await w.commit()
    kv.write(c.ops)
    db.written(c.ops)
    const w2 = db.open(c.root)
    await w2.getAccount(addr(5))
    await w2.root()
    hashes = 0
    w2.setAccount(addr(5), acct(2n, 5n))
    await w2.root()
    // one leaf and its ancestors (depth ~3-4 for 2000 keys), plus keccak(address) is cached
    expect(hashes).toBeGreaterThan(0)
    expect(hashes).toBeLessThanOrEqual(6)
    hashes = 0
    await w2.root() // nothing changed: no hashing
    expect(hashes).toBe(0)
    // the second root of the same block after another change: again only that path
    w2.setAccount(addr(6), acct(2n, 6n))
    await w2.root()
    expect(hashes).toBeLessThanOrEqual(7) // includes keccak(address) of the new entry
  })

  it('rejects bad arguments with a typed error', () => {
    const db = createStateDatabase({ db: new MemoryKeyValueStore() })
    const w = db.open(EMPTY_ROOT)
    expect(() => w.setAccount(new Uint8Array(19), acct(0n, 0n))).toThrow(/ErrInvalidArgument/)
    expect(() => w.setStorage(addr(1), new Uint8Array(31), word(1))).toThrow(/ErrInvalidArgument/)
  })
})
