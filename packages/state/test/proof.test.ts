import { createMerkleProof, createMPT, verifyMerkleProof } from '@ethereumjs/mpt'
import { keccak256 } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  type AccountProof,
  createStateDatabase,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  encodeAccount,
  isStateError,
  verifyAccountProof,
  verifyProof,
} from '../src/index.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { addr, hex, word } from './helpers.js'

async function state() {
  const kv = new MemoryKeyValueStore()
  const db = createStateDatabase({ db: kv })
  const w = db.open(EMPTY_ROOT)
  for (let i = 0; i < 300; i++) {
    w.setAccount(addr(i), {
      nonce: BigInt(i),
      balance: BigInt(i) * 7n,
      storageRoot: EMPTY_ROOT,
      codeHash: EMPTY_CODE_HASH,
    })
    if (i % 10 === 0) for (let s = 0; s < 50; s++) w.setStorage(addr(i), word(s), word(s + 1000))
  }
  const c = await w.commit()
  kv.write(c.ops)
  return { db, root: c.root }
}

const expectBadProof = (f: () => void) => expect(f).toThrow(/ErrBadProof/)

describe('getProof (EIP-1186) and the verifier', () => {
  it('round trip: an existing account with slots present and absent', async () => {
    const { db, root } = await state()
    const p = await db.getProof(root, addr(20), [word(3), word(49), word(50), word(999)])
    expect(p.nonce).toBe(20n)
    expect(p.balance).toBe(140n)
    expect(p.storageProof.map((s) => s.value)).toEqual([1003n, 1049n, 0n, 0n])
    expect(p.accountProof.length).toBeGreaterThan(1)
    expect(hex(keccak256(p.accountProof[0]!))).toBe(hex(root))
    expect(hex(keccak256(p.storageProof[0]!.proof[0]!))).toBe(hex(p.storageHash))
    verifyAccountProof(root, p)
  })

  it('round trip: an absent account proves its absence', async () => {
    const { db, root } = await state()
    const p = await db.getProof(root, addr(5000), [word(1)])
    expect(p.balance).toBe(0n)
    expect(hex(p.storageHash)).toBe(hex(EMPTY_ROOT))
    expect(hex(p.codeHash)).toBe(hex(EMPTY_CODE_HASH))
    expect(p.storageProof[0]!.proof).toEqual([])
    verifyAccountProof(root, p)
    expect(verifyProof(root, keccak256(addr(5000)), p.accountProof)).toBeUndefined()
  })

  it('tampered proofs and wrong claims are rejected', async () => {
    const { db, root } = await state()
    const p = await db.getProof(root, addr(30), [word(7)])
    const lie = (f: (q: AccountProof) => void) => {
      const q = structuredClone(p)
      f(q)
      expectBadProof(() => verifyAccountProof(root, q))
    }
    lie((q) => {
      q.balance += 1n
    })
    lie((q) => {
      q.storageProof[0]!.value = 1n
    })
    lie((q) => {
      q.accountProof = q.accountProof.slice(0, -1) // the leaf left out
    })
    lie((q) => {
      q.accountProof[1] = Uint8Array.from(q.accountProof[1]!).fill(0x80, 5, 6)
    })
    lie((q) => {
      q.storageProof[0]!.proof = []
    })
    // a proof for another root
    const other = await db.getProof(root, addr(31), [])
    expectBadProof(() =>
      verifyProof(keccak256(Uint8Array.of(1)), keccak256(addr(31)), other.accountProof),
    )
    // the absent account claimed to have a balance
    const absent = await db.getProof(root, addr(7777), [])
    absent.balance = 1n
    expectBadProof(() => verifyAccountProof(root, absent))
  })

  it('matches @ethereumjs/mpt: the same proof nodes, and its verifier accepts ours', async () => {
    const ref = await createMPT({ useKeyHashing: true })
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const w = db.open(EMPTY_ROOT)
    for (let i = 0; i < 500; i++) {
      const a = {
        nonce: 1n,
        balance: BigInt(i),
        storageRoot: EMPTY_ROOT,
        codeHash: EMPTY_CODE_HASH,
      }
      w.setAccount(addr(i), a)
      await ref.put(addr(i), encodeAccount(a))
    }
    const c = await w.commit()
    kv.write(c.ops)
    expect(hex(c.root)).toBe(hex(ref.root()))
    for (const i of [0, 17, 499, 12345]) {
      const ours = (await db.getProof(c.root, addr(i), [])).accountProof
      const theirs = await createMerkleProof(ref, addr(i))
      expect(ours.map(hex)).toEqual(theirs.map(hex))
      const v = await verifyMerkleProof(addr(i), ours, { useKeyHashing: true })
      if (i < 500) expect(v).not.toBeNull()
      else expect(v).toBeNull()
    }
  })

  it('a root that is not stored is a typed error', async () => {
    const { db } = await state()
    await expect(db.getProof(keccak256(Uint8Array.of(9)), addr(1), [])).rejects.toSatisfy((e) =>
      isStateError(e, 'ErrMissingNode'),
    )
  })
})

describe('getNodeData', () => {
  it('serves trie nodes and code by hash, in order, skipping unknown hashes', async () => {
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const w = db.open(EMPTY_ROOT)
    const code = new Uint8Array(300).fill(0x5b)
    const codeHash = keccak256(code)
    w.setCode(codeHash, code)
    for (let i = 0; i < 50; i++) {
      w.setAccount(addr(i), { nonce: 1n, balance: 1n, storageRoot: EMPTY_ROOT, codeHash })
    }
    const c = await w.commit()
    kv.write(c.ops)
    const nodeOps = c.ops.filter((o) => o.key.length === 32)
    const unknown = keccak256(Uint8Array.of(42))
    const asked = [c.root, unknown, codeHash, nodeOps[0]!.key]
    const got = await db.getNodeData(asked)
    expect(got.map(hex)).toEqual([
      hex(nodeOps.find((o) => hex(o.key) === hex(c.root))!.value),
      hex(code),
      hex(nodeOps[0]!.value),
    ])
    for (const v of got) expect(asked.some((h) => hex(h) === hex(keccak256(v)))).toBe(true)
    // the same from the cache after written()
    const warm = createStateDatabase({ db: new MemoryKeyValueStore() })
    warm.written(c.ops)
    expect((await warm.getNodeData(asked)).map(hex)).toEqual(got.map(hex))
  })

  it('byte and item budgets: stops once the budget is reached (the crossing item included)', async () => {
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const w = db.open(EMPTY_ROOT)
    for (let i = 0; i < 400; i++) {
      w.setAccount(addr(i), {
        nonce: 1n,
        balance: 1n,
        storageRoot: EMPTY_ROOT,
        codeHash: EMPTY_CODE_HASH,
      })
    }
    const c = await w.commit()
    kv.write(c.ops)
    const hashes = c.ops.map((o) => o.key)
    const all = await db.getNodeData(hashes)
    expect(all.length).toBe(hashes.length)
    const sizes = all.map((v) => v.length)
    const budget = sizes.slice(0, 10).reduce((a, b) => a + b, 0) - 1
    const some = await db.getNodeData(hashes, { maxBytes: budget })
    expect(some.length).toBe(10)
    expect((await db.getNodeData(hashes, { maxItems: 7 })).length).toBe(7)
  })
})
