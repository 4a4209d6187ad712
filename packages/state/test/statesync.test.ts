/** createStateSync: the scheduler driven as the downloader drives it (missing/deliver/release). */
import { keccak256 } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  type BatchOp,
  createStateDatabase,
  createStateSync,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  type StateSync,
} from '../src/index.js'
import { scanChildren } from '../src/scan.js'
import { codeKey } from '../src/store.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { addr, hex, word } from './helpers.js'

async function source(n: number, codeEvery = 9) {
  const kv = new MemoryKeyValueStore()
  const db = createStateDatabase({ db: kv })
  const w = db.open(EMPTY_ROOT)
  const code = new Uint8Array(100).fill(0x5b)
  w.setCode(keccak256(code), code)
  for (let i = 0; i < n; i++) {
    w.setAccount(addr(i), {
      nonce: 1n,
      balance: BigInt(i),
      storageRoot: EMPTY_ROOT,
      codeHash: i % codeEvery === 0 ? keccak256(code) : EMPTY_CODE_HASH,
    })
    if (i % 5 === 0)
      for (let s = 0; s < 8; s++) w.setStorage(addr(i), word(s), word(i * 10 + s + 1))
  }
  const c = await w.commit()
  kv.write(c.ops)
  return { kv, db, root: c.root }
}

/** The downloader's loop in small: several "peers" take batches, some answers go wrong. */
async function run(sync: StateSync, serve: (hashes: Uint8Array[]) => Promise<Uint8Array[]>) {
  let drops = 0
  let r = 0
  for (let round = 0; round < 5000 && !sync.done(); round++) {
    const batches = [sync.missing(40), sync.missing(40), sync.missing(40)].filter((b) => b.length)
    for (const hashes of batches) {
      r++
      if (r % 7 === 0) {
        sync.release(hashes) // timed out
        continue
      }
      let nodes = await serve(hashes)
      if (r % 11 === 0) nodes = nodes.slice(1) // a short answer
      if (r % 13 === 0) nodes = [...nodes, Uint8Array.of(0xc1, 0x80)] // a node nobody asked for
      const v = await sync.deliver(`peer${r % 3}`, hashes, nodes)
      if (v.rejected) {
        expect(v.rejected.code).toBe('ErrNotRequested')
        drops++
      }
    }
  }
  await sync.close()
  return drops
}

describe('createStateSync (the downloader shape)', () => {
  it('fills an empty store through missing/deliver/release, writing through the caller', async () => {
    const src = await source(1500)
    const dest = new MemoryKeyValueStore()
    let writes = 0
    const sync = createStateSync(src.root, {
      db: dest,
      write: async (ops) => {
        writes++
        dest.write(ops)
      },
    })
    const drops = await run(sync, (h) => src.db.getNodeData(h))
    expect(sync.done()).toBe(true)
    expect(drops).toBeGreaterThan(0)
    expect(writes).toBeGreaterThan(1)
    expect(dest.size).toBe(src.kv.size)
    for (const [k, v] of src.kv.entries()) expect(hex(dest.map.get(hex(k))!)).toBe(hex(v))
    expect(sync.progress().pulled).toBe(src.kv.size)
  })

  it('a root the store already has is done without a delivery', async () => {
    const src = await source(20)
    const sync = createStateSync(src.root, { db: src.kv, write: async () => {} })
    await sync.close()
    expect(sync.done()).toBe(true)
    expect(sync.missing(10)).toEqual([])
  })

  it('a failing writer fails the delivery (a local failure), and done() stays false', async () => {
    const src = await source(50)
    const sync = createStateSync(src.root, {
      db: new MemoryKeyValueStore(),
      write: async () => {
        throw new Error('disk full')
      },
    })
    await sync.close() // the background root check
    const hashes = sync.missing(10)
    await expect(sync.deliver('p', hashes, await src.db.getNodeData(hashes))).resolves.toBeDefined()
    let failed = false
    for (let i = 0; i < 100 && !failed; i++) {
      const h = sync.missing(100)
      if (h.length === 0) break
      try {
        await sync.deliver('p', h, await src.db.getNodeData(h))
      } catch (e) {
        failed = (e as Error).message === 'disk full'
      }
    }
    expect(failed).toBe(true)
    expect(sync.done()).toBe(false)
  })
})

/** A writer whose writes land only when the test lets them (in the order they were made). */
function heldWriter(dest: MemoryKeyValueStore) {
  const queue: { ops: BatchOp[]; land: () => void }[] = []
  let landed = 0
  return {
    queue,
    get landed() {
      return landed
    },
    write: (ops: BatchOp[]) =>
      new Promise<void>((resolve) => {
        queue.push({
          ops,
          land: () => {
            dest.write(ops)
            landed++
            resolve()
          },
        })
      }),
    /** Lets the oldest held write land. */
    landOne(): boolean {
      const w = queue.shift()
      w?.land()
      return w !== undefined
    },
  }
}

/** The children a stored node needs below it (hashed nodes, and an account's storage and code). */
function needs(key: Uint8Array, value: Uint8Array, accountTrie: Set<string>): Uint8Array[] {
  if (key.length !== 32) return [] // code
  const out: Uint8Array[] = []
  scanChildren(value, 0, accountTrie.has(hex(key)), (h, kind) => {
    out.push(kind === 'code' ? codeKey(h) : h)
    if (kind === 'node' && accountTrie.has(hex(key))) accountTrie.add(hex(h))
  })
  return out
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('createStateSync writes behind the deliveries', () => {
  it('a delivery returns while the batch before it is still being written', async () => {
    const src = await source(1500, 2) // one code for half the accounts: found in held batches
    const dest = new MemoryKeyValueStore()
    const w = heldWriter(dest)
    const sync = createStateSync(src.root, { db: dest, write: w.write })
    await tick()
    let overlapped = 0
    let maxHeld = 0
    for (let round = 0; round < 5000 && !sync.done(); round++) {
      const hashes = sync.missing(60)
      if (hashes.length === 0) {
        // nothing to hand out: only held writes are left (the last delivery waits for them)
        expect(w.landOne()).toBe(true)
        await tick()
        continue
      }
      const before = w.queue.length
      const delivery = sync.deliver('p', hashes, await src.db.getNodeData(hashes))
      let answered = false
      void delivery.then(() => {
        answered = true
      })
      for (let i = 0; i < 5 && !answered; i++) await tick()
      if (!answered) {
        // it waits for writes: past the bound, or it completed the state
        expect(w.queue.length).toBeGreaterThanOrEqual(1)
        while (!answered && w.landOne()) await tick()
        for (let i = 0; i < 5 && !answered; i++) await tick()
      } else if (before > 0) overlapped++
      expect(answered).toBe(true)
      maxHeld = Math.max(maxHeld, w.queue.length)
    }
    while (w.landOne()) await tick()
    await sync.close()
    expect(sync.done()).toBe(true)
    expect(overlapped).toBeGreaterThan(5)
    expect(maxHeld).toBeLessThanOrEqual(2)
    // every node exactly once: nodes of held batches counted as stored (shared code and storage
    // tries were not fetched again), and the store equals the source
    expect(sync.progress().pulled).toBe(src.kv.size)
    expect(sync.progress().duplicates).toBe(0)
    expect(dest.size).toBe(src.kv.size)
    for (const [k, v] of src.kv.entries()) expect(hex(dest.map.get(hex(k))!)).toBe(hex(v))
  })

  it('a node in a batch still being written is not fetched again (one code, many accounts)', async () => {
    const kv = new MemoryKeyValueStore()
    const db = createStateDatabase({ db: kv })
    const w0 = db.open(EMPTY_ROOT)
    const code = new Uint8Array(100).fill(0x5b)
    w0.setCode(keccak256(code), code)
    for (let i = 0; i < 1500; i++)
      w0.setAccount(addr(i), {
        nonce: 1n,
        balance: BigInt(i),
        storageRoot: EMPTY_ROOT,
        codeHash: i % 2 === 0 ? keccak256(code) : EMPTY_CODE_HASH,
      })
    const c = await w0.commit()
    kv.write(c.ops)
    const dest = new MemoryKeyValueStore()
    const w = heldWriter(dest)
    const sync = createStateSync(c.root, { db: dest, write: w.write })
    await tick()
    let codeAsked = 0
    for (let round = 0; round < 500 && !sync.done(); round++) {
      const h = sync.missing(60)
      if (h.some((x) => hex(x) === hex(keccak256(code)))) codeAsked++
      if (h.length === 0) {
        w.landOne()
        await tick()
        continue
      }
      const d = sync.deliver('p', h, await db.getNodeData(h))
      let answered = false
      void d.then(() => {
        answered = true
      })
      for (let i = 0; i < 5; i++) await tick()
      while (!answered && w.landOne()) for (let i = 0; i < 5; i++) await tick()
      await d
    }
    expect(sync.done()).toBe(true)
    expect(codeAsked).toBe(1)
    expect(sync.progress().pulled).toBe(kv.size)
    expect(dest.size).toBe(kv.size)
  })

  it('done() is false until the last batch is written; batches land children first, in order', async () => {
    const src = await source(400)
    const dest = new MemoryKeyValueStore()
    const accountTrie = new Set([hex(src.root)])
    const sync = createStateSync(src.root, {
      db: dest,
      write: async (ops) => {
        await tick()
        // each node's children are already in the store or earlier in this batch
        for (const op of ops) {
          for (const c of needs(op.key, op.value, accountTrie)) expect(dest.has(c)).toBe(true)
          dest.write([op])
        }
      },
    })
    await tick()
    let doneEarly = false
    for (let round = 0; round < 5000 && !sync.done(); round++) {
      const a = sync.missing(30)
      const b = sync.missing(30)
      // two deliveries at once, as the downloader's three requests in flight do
      const [ra, rb] = await Promise.all([
        a.length ? sync.deliver('p', a, await src.db.getNodeData(a)) : undefined,
        b.length ? sync.deliver('q', b, await src.db.getNodeData(b)) : undefined,
      ])
      expect(ra?.rejected ?? rb?.rejected).toBeUndefined()
      if (sync.done() && dest.size !== src.kv.size) doneEarly = true
    }
    expect(sync.done()).toBe(true)
    expect(doneEarly).toBe(false)
    expect(dest.size).toBe(src.kv.size)
  })

  it('killed with writes held: a new sync over what landed resumes and ends at the same state', async () => {
    const src = await source(1200)
    const dest = new MemoryKeyValueStore()
    const w = heldWriter(dest)
    const first = createStateSync(src.root, { db: dest, write: w.write })
    await tick()
    for (let round = 0; round < 40; round++) {
      const hashes = first.missing(50)
      if (hashes.length === 0) break
      const d = first.deliver('p', hashes, await src.db.getNodeData(hashes))
      let answered = false
      void d.then(() => {
        answered = true
      })
      for (let i = 0; i < 5 && !answered; i++) await tick()
      while (!answered && w.landOne()) await tick()
      await d
    }
    // the process dies: held writes never land
    expect(w.queue.length).toBeGreaterThan(0)
    expect(w.landed).toBeGreaterThan(0)
    const landedBefore = dest.size
    expect(landedBefore).toBeGreaterThan(0)
    const second = createStateSync(src.root, {
      db: dest,
      write: async (ops) => dest.write(ops),
    })
    await run(second, (h) => src.db.getNodeData(h))
    expect(second.done()).toBe(true)
    expect(dest.size).toBe(src.kv.size)
    for (const [k, v] of src.kv.entries()) expect(hex(dest.map.get(hex(k))!)).toBe(hex(v))
    // it fetched only what had not landed (give or take the nodes shared between subtrees)
    expect(second.progress().pulled).toBeLessThan(src.kv.size)
  })

  it('a write that fails fails the next delivery and close(), and nothing after it is written', async () => {
    const src = await source(300)
    const dest = new MemoryKeyValueStore()
    let n = 0
    let after = 0
    const sync = createStateSync(src.root, {
      db: dest,
      write: async (ops) => {
        n++
        if (n === 2) throw new Error('disk full')
        if (n > 2) after++
        dest.write(ops)
      },
    })
    await tick()
    let failed: unknown
    for (let i = 0; i < 200 && failed === undefined && !sync.done(); i++) {
      const h = sync.missing(20)
      if (h.length === 0) break
      try {
        await sync.deliver('p', h, await src.db.getNodeData(h))
        await tick()
      } catch (e) {
        failed = e
      }
    }
    expect((failed as Error).message).toBe('disk full')
    await expect(sync.close()).rejects.toThrow('disk full')
    expect(after).toBe(0)
    expect(sync.done()).toBe(false)
  })
})

// The shape @ethwire/downloader declares for its scheduler (its src/types.ts, branch wt/downloader,
// restated here): createStateSync's result must fit it as it is, checked by the typecheck.
type MaybePromise<T> = T | Promise<T>
interface DownloaderStateSync {
  readonly root: Uint8Array
  missing(max: number): Uint8Array[]
  deliver(
    peerId: string,
    requested: Uint8Array[],
    nodes: Uint8Array[],
  ): MaybePromise<{
    accepted: number
    duplicates?: number
    rejected?: { readonly code: string; readonly message: string }
  }>
  release(hashes: Uint8Array[]): void
  done(): boolean
  progress(): { pulled: number; known: number }
  close(): MaybePromise<void>
}
type DownloaderStateSyncFactory = (root: Uint8Array) => DownloaderStateSync

it('fits the downloader StateSyncFactory shape', () => {
  const kv = new MemoryKeyValueStore()
  const factory: DownloaderStateSyncFactory = (root) =>
    createStateSync(root, { db: kv, write: async (ops) => kv.write(ops) })
  expect(factory(EMPTY_ROOT).done()).toBe(true)
})
