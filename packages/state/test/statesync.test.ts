/** createStateSync: the scheduler driven as the downloader drives it (missing/deliver/release). */
import { keccak256 } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  createStateDatabase,
  createStateSync,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  type StateSync,
} from '../src/index.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { addr, hex, word } from './helpers.js'

async function source(n: number) {
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
      codeHash: i % 9 === 0 ? keccak256(code) : EMPTY_CODE_HASH,
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
