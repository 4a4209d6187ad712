import { describe, expect, it } from 'vitest'
import { GenerationalCache } from '../src/cache.js'
import { createStateDatabase, EMPTY_CODE_HASH, EMPTY_ROOT } from '../src/index.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { addr, word } from './helpers.js'

async function stored(n: number) {
  const kv = new MemoryKeyValueStore()
  const w = createStateDatabase({ db: kv }).open(EMPTY_ROOT)
  for (let i = 0; i < n; i++) {
    w.setAccount(addr(i), {
      nonce: 1n,
      balance: BigInt(i),
      storageRoot: EMPTY_ROOT,
      codeHash: EMPTY_CODE_HASH,
    })
    w.setStorage(addr(i), word(1), word(i + 1))
  }
  const c = await w.commit()
  kv.write(c.ops)
  return { kv, root: c.root }
}

describe('node cache', () => {
  it('stays within its byte budget however much is read', async () => {
    const { kv, root } = await stored(600)
    const budget = 32 * 1024
    const db = createStateDatabase({ db: kv }, { cacheBytes: budget })
    for (let i = 0; i < 600; i++) {
      expect((await db.getAccount(root, addr(i)))?.balance).toBe(BigInt(i))
      expect(await db.getStorage(root, addr(i), word(1))).toEqual(word(i + 1))
      expect(db.stats().cacheBytes).toBeLessThanOrEqual(budget)
    }
    expect(db.stats().cacheNodes).toBeGreaterThan(10)
  })

  it('is shared: a second world state and the root reads find what the first loaded', async () => {
    const { kv, root } = await stored(500)
    const db = createStateDatabase({ db: kv })
    const w1 = db.open(root)
    for (let i = 0; i < 500; i += 5) await w1.getStorage(addr(i), word(1))
    const reads = db.stats().storeReads
    expect(reads).toBeGreaterThan(0)
    const w2 = db.open(root)
    for (let i = 0; i < 500; i += 5) await w2.getStorage(addr(i), word(1))
    for (let i = 0; i < 500; i += 5) await db.getAccount(root, addr(i))
    expect(db.stats().storeReads).toBe(reads)
    expect(db.stats().cacheHits).toBeGreaterThan(0)
  })

  it('generations: entries move to the young map on a hit; the old one is dropped whole', () => {
    const c = new GenerationalCache<number>(100) // 50 a generation
    for (let i = 0; i < 5; i++) c.set(`k${i}`, i, 10) // young full (50)
    c.set('k5', 5, 10) // swap: k0..k4 old, k5 young
    expect(c.get('k0')).toBe(0) // promoted back to young
    for (let i = 6; i < 10; i++) c.set(`k${i}`, i, 10) // young: k5, k0, k6..k8 = 50; k9 swaps
    expect(c.peek('k1')).toBeUndefined() // dropped with the old generation
    expect(c.peek('k0')).toBe(0)
    expect(c.bytes).toBeLessThanOrEqual(100)
    c.set('big', 1, 60) // larger than a generation: not kept
    expect(c.has('big')).toBe(false)
  })
})

describe('prefetch', () => {
  it('loads accounts and slots in batched reads; the reads after it go to memory only', async () => {
    const { kv, root } = await stored(3000)
    let batches = 0
    let singles = 0
    const counting = {
      get: (k: Uint8Array) => {
        singles++
        return kv.get(k)
      },
      getMany: (ks: Uint8Array[]) => {
        batches++
        return kv.getMany(ks)
      },
    }
    const db = createStateDatabase({ db: counting })
    const w = db.open(root)
    const some = Array.from({ length: 100 }, (_, i) => addr(i * 29))
    await w.prefetch(
      some,
      some.map((a) => [a, word(1)] as const),
    )
    // one read call per trie level (a level with one node, like the root, is a plain get), not
    // one per node: 100 accounts and 100 slots are hundreds of nodes
    expect(batches).toBeGreaterThan(0)
    expect(singles + batches).toBeLessThan(16)
    expect(db.stats().storeReads).toBeGreaterThan(200)
    const reads = db.stats().storeReads
    for (let i = 0; i < 100; i++) {
      expect((await w.getAccount(addr(i * 29)))?.balance).toBe(BigInt(i * 29))
      expect(await w.getStorage(addr(i * 29), word(1))).toEqual(word(i * 29 + 1))
    }
    expect(db.stats().storeReads).toBe(reads)
  })
})
