/**
 * Trie sync: a state of thousands of accounts with storage and code copied from a source store to
 * an empty one through simulated peers (lossy, slow, hostile), interrupted and resumed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256 } from '@ethwire/rlp-wire'
import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import { EMPTY_CODE_HASH, EMPTY_ROOT } from '../src/account.js'
import {
  type BatchOp,
  createStateDatabase,
  createTrieSync,
  decodeAccount,
  isStateError,
  type StateDatabase,
  type TrieSync,
} from '../src/index.js'
import { childHashes, decodeNode, LEAF } from '../src/node.js'
import { codeKey } from '../src/store.js'
import { MemoryKeyValueStore } from '../src/testing.js'
import { addr, hex, word } from './helpers.js'

/** A seeded random source (xorshift32). */
function rng(seed: number) {
  let s = seed >>> 0 || 1
  return (n: number) => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) % n
  }
}

async function sourceState(accounts: number) {
  const kv = new MemoryKeyValueStore()
  const db = createStateDatabase({ db: kv })
  const w = db.open(EMPTY_ROOT)
  const codes = Array.from({ length: 7 }, (_, i) => new Uint8Array(40 + i * 30).fill(0x60 + i))
  for (let i = 0; i < accounts; i++) {
    const code = i % 25 === 0 ? codes[i % codes.length]! : undefined
    const codeHash = code ? keccak256(code) : EMPTY_CODE_HASH
    if (code) w.setCode(codeHash, code)
    w.setAccount(addr(i), {
      nonce: BigInt(i % 7),
      balance: BigInt(i) * 10n ** 15n,
      storageRoot: EMPTY_ROOT,
      codeHash,
    })
    if (i % 10 === 0)
      for (let s = 0; s < 1 + (i % 40); s++) w.setStorage(addr(i), word(s), word(i + s + 1))
    // some accounts share a storage trie (same slots and values): one subtree, many parents
    if (i % 97 === 1) for (let s = 0; s < 5; s++) w.setStorage(addr(i), word(s), word(s + 1))
  }
  const c = await w.commit()
  kv.write(c.ops)
  return { kv, db, root: c.root, ops: c.ops }
}

interface SimPeer {
  id: string
  /** What the peer answers for a request: items, or 'timeout'. */
  answer(hashes: readonly Uint8Array[]): Promise<Uint8Array[] | 'timeout'>
}

function honest(id: string, source: StateDatabase): SimPeer {
  return { id, answer: (h) => source.getNodeData([...h]) }
}

/** Drops items, reorders, sometimes answers empty or not at all. */
function lossy(id: string, source: StateDatabase, seed: number): SimPeer {
  const r = rng(seed)
  return {
    id,
    async answer(h) {
      const roll = r(10)
      if (roll === 0) return 'timeout'
      if (roll === 1) return []
      const items = await source.getNodeData([...h])
      const kept = items.filter(() => r(5) !== 0)
      for (let i = kept.length - 1; i > 0; i--) {
        const j = r(i + 1)
        ;[kept[i], kept[j]] = [kept[j]!, kept[i]!]
      }
      return kept
    },
  }
}

/** Serves the truth mixed with items nobody asked for. */
function hostile(id: string, source: StateDatabase, mode: 'garbage' | 'other-node'): SimPeer {
  return {
    id,
    async answer(h) {
      const items = await source.getNodeData([...h])
      if (mode === 'garbage') return [...items.slice(0, 1), Uint8Array.of(0xc2, 0x80, 0x80)]
      // a real node of the state, but not one that was asked for
      const other = await source.getNodeData([keccak256(Uint8Array.of(0))])
      return [...items, ...(other.length ? other : [Uint8Array.of(0xc0)])]
    },
  }
}

interface RunStats {
  rounds: number
  dropped: string[]
  maxWaiting: number
  maxInFlight: number
  pulled: number
}

/** Drives the sync over peers until done or `stopAfter` rounds; writes each commit into `dest`. */
async function drive(
  sync: TrieSync,
  peers: SimPeer[],
  dest: MemoryKeyValueStore,
  opts: { stopAfter?: number; maxRounds?: number; batch?: number } = {},
): Promise<RunStats> {
  const stats: RunStats = { rounds: 0, dropped: [], maxWaiting: 0, maxInFlight: 0, pulled: 0 }
  let live = [...peers]
  const maxRounds = opts.maxRounds ?? 20_000
  while (!sync.done() && stats.rounds < maxRounds) {
    if (opts.stopAfter !== undefined && stats.rounds >= opts.stopAfter) break
    stats.rounds++
    const reqs = live.map((p) => ({ p, req: sync.request(p.id, opts.batch ?? 64) }))
    const pr = sync.progress()
    stats.maxWaiting = Math.max(stats.maxWaiting, pr.waiting)
    stats.maxInFlight = Math.max(stats.maxInFlight, pr.inFlight)
    for (const { p, req } of reqs) {
      if (req === undefined) continue
      const a = await p.answer(req.hashes)
      if (a === 'timeout') {
        sync.expire(req)
        continue
      }
      try {
        await sync.deliver(req, a)
      } catch (e) {
        if (!isStateError(e, 'ErrNotRequested')) throw e
        stats.dropped.push(p.id)
        live = live.filter((x) => x !== p)
      }
    }
    dest.write(sync.commit())
    if (live.length === 0) throw new Error('no peers left')
  }
  stats.pulled = sync.progress().pulled
  return stats
}

/** Every stored node has its children stored (the bottom-up guarantee). */
function checkComplete(dest: MemoryKeyValueStore): number {
  let nodes = 0
  for (const [k, v] of dest.entries()) {
    if (k.length !== 32) continue
    nodes++
    const n = decodeNode(v, k)
    for (const c of childHashes(n)) expect(dest.has(c), `child of ${hex(k)}`).toBe(true)
    const leaves = n.kind === LEAF ? [n] : []
    for (const leaf of leaves) {
      // account leaves: storage root and code are stored too (storage leaves do not decode)
      let a: ReturnType<typeof decodeAccount> | undefined
      try {
        a = decodeAccount(leaf.value)
      } catch {
        a = undefined
      }
      if (a === undefined || a.storageRoot.length !== 32) continue
      if (hex(a.storageRoot) !== hex(EMPTY_ROOT)) expect(dest.has(a.storageRoot)).toBe(true)
      if (hex(a.codeHash) !== hex(EMPTY_CODE_HASH)) expect(dest.has(codeKey(a.codeHash))).toBe(true)
    }
  }
  return nodes
}

function sameStore(dest: MemoryKeyValueStore, src: MemoryKeyValueStore) {
  expect(dest.size).toBe(src.size)
  for (const [k, v] of src.entries())
    expect(hex(dest.map.get(hex(k)) ?? new Uint8Array())).toBe(hex(v))
}

describe('trie sync', () => {
  it('copies a state of thousands of accounts, with storage and code, from honest peers', async () => {
    const src = await sourceState(2000)
    const dest = new MemoryKeyValueStore()
    const sync = await createTrieSync(src.root, { db: dest }, { maxInFlight: 256 })
    expect(sync.done()).toBe(false)
    const stats = await drive(sync, [honest('a', src.db), honest('b', src.db)], dest)
    expect(sync.done()).toBe(true)
    sameStore(dest, src.kv)
    expect(stats.pulled).toBe(src.kv.size)
    const p = sync.progress()
    expect(p.known).toBe(p.pulled)
    expect(p.committed).toBe(src.kv.size)
    expect(stats.maxInFlight).toBeLessThanOrEqual(256)
    // depth-first: few nodes wait for their children at any time
    expect(stats.maxWaiting).toBeLessThan(src.ops.length / 10)
    // the copy reads as the source
    const copy = createStateDatabase({ db: dest })
    for (const i of [0, 10, 25, 1234, 2999]) {
      expect(await copy.getAccount(src.root, addr(i))).toEqual(
        await src.db.getAccount(src.root, addr(i)),
      )
      expect(await copy.getStorage(src.root, addr(i), word(3))).toEqual(
        await src.db.getStorage(src.root, addr(i), word(3)),
      )
    }
  })

  it('through lossy peers (drops, reorders, empty answers, timeouts) and hostile ones, which are dropped', async () => {
    const src = await sourceState(2000)
    const dest = new MemoryKeyValueStore()
    const sync = await createTrieSync(src.root, { db: dest }, { maxInFlight: 300 })
    const peers = [
      lossy('lossy-1', src.db, 1),
      hostile('garbage', src.db, 'garbage'),
      lossy('lossy-2', src.db, 2),
      hostile('other-node', src.db, 'other-node'),
      lossy('lossy-3', src.db, 3),
    ]
    const stats = await drive(sync, peers, dest)
    expect(sync.done()).toBe(true)
    expect(stats.dropped.sort()).toEqual(['garbage', 'other-node'])
    sameStore(dest, src.kv)
    checkComplete(dest)
  })

  it('an answer with a node not asked for is refused whole (ErrNotRequested); its hashes go out again', async () => {
    const src = await sourceState(200)
    const dest = new MemoryKeyValueStore()
    const sync = await createTrieSync(src.root, { db: dest })
    const req = sync.request('p', 10)!
    expect(req.hashes.map(hex)).toEqual([hex(src.root)])
    const [rootNode] = await src.db.getNodeData([src.root])
    const wrong = Uint8Array.from(rootNode!).fill(0, 40, 41)
    await expect(sync.deliver(req, [rootNode!, wrong])).rejects.toSatisfy(
      (e) =>
        isStateError(e, 'ErrNotRequested') &&
        hex((e as { hash: Uint8Array }).hash) === hex(keccak256(wrong)),
    )
    // nothing of it was kept: the root is asked for again (from another peer)
    expect(sync.progress().pulled).toBe(0)
    const again = sync.request('q', 10)!
    expect(again.hashes.map(hex)).toEqual([hex(src.root)])
    expect((await sync.deliver(again, [rootNode!])).accepted).toBe(1)
    const next = sync.request('q', 1000)!
    expect(next.hashes.length).toBeGreaterThan(1)
    const children = await src.db.getNodeData([...next.hashes])
    // the same item twice in one answer is a duplicate, not a fault
    const r = await sync.deliver(next, [...children, children[0]!])
    expect(r.accepted).toBe(next.hashes.length)
    expect(r.duplicates).toBe(1)
    expect(r.missing).toBe(0)
  })

  it('release and requestOf: handed-out hashes go back by hash, whatever request held them', async () => {
    const src = await sourceState(200)
    const sync = await createTrieSync(src.root, { db: new MemoryKeyValueStore() })
    const r1 = sync.request('p')!
    expect(sync.requestOf(src.root)?.id).toBe(r1.id)
    expect(sync.request('p')).toBeUndefined() // nothing else to hand out
    sync.release([src.root])
    expect(sync.requestOf(src.root)).toBeUndefined()
    expect(sync.progress().inFlight).toBe(0)
    const r2 = sync.request('p')!
    expect(r2.hashes.map(hex)).toEqual([hex(src.root)])
    // a late answer to the released request still counts (it asked for that hash)
    const [rootNode] = await src.db.getNodeData([src.root])
    expect((await sync.deliver(r1, [rootNode!])).accepted).toBe(1)
    expect(sync.progress().inFlight).toBe(0)
    expect((await sync.deliver(r2, [rootNode!])).duplicates).toBe(1)
  })

  it('interrupted (scheduler lost, last batch cut half-way) and resumed without starting over', async () => {
    const src = await sourceState(2000)
    const dest = new MemoryKeyValueStore()
    const first = await createTrieSync(src.root, { db: dest }, { maxInFlight: 200 })
    const s1 = await drive(first, [honest('a', src.db), lossy('b', src.db, 7)], dest, {
      stopAfter: 40,
    })
    expect(first.done()).toBe(false)
    // the process dies while writing: completed items not yet written are lost, and only half of
    // the last batch reached the store
    const last = first.commit()
    dest.write(last, Math.floor(last.length / 2))
    const storedAtCrash = checkComplete(dest)
    expect(storedAtCrash).toBeGreaterThan(500)
    expect(dest.has(src.root)).toBe(false)

    const second = await createTrieSync(src.root, { db: dest }, { maxInFlight: 200 })
    const s2 = await drive(second, [honest('c', src.db)], dest)
    expect(second.done()).toBe(true)
    sameStore(dest, src.kv)
    // what was stored before the crash was not fetched again
    expect(s2.pulled).toBeLessThanOrEqual(src.ops.length - storedAtCrash + 10)
    expect(s1.pulled + s2.pulled).toBeLessThan(src.ops.length * 1.5)
  })

  it('a root already stored, and the empty root, are done at once', async () => {
    const src = await sourceState(50)
    expect((await createTrieSync(src.root, { db: src.kv })).done()).toBe(true)
    expect((await src.db.trieSync(src.root)).done()).toBe(true)
    const fresh = createStateDatabase({ db: new MemoryKeyValueStore() })
    expect((await fresh.trieSync(src.root)).request('p')?.hashes.map(hex)).toEqual([hex(src.root)])
    const empty = await createTrieSync(EMPTY_ROOT, { db: new MemoryKeyValueStore() })
    expect(empty.done()).toBe(true)
    expect(empty.request('p')).toBeUndefined()
  })

  it('a peer that answered empty is asked again only when nobody else has the hashes', async () => {
    const src = await sourceState(100)
    const dest = new MemoryKeyValueStore()
    const sync = await createTrieSync(src.root, { db: dest })
    const r1 = sync.request('withholder')!
    await sync.deliver(r1, [])
    const r2 = sync.request('other')!
    expect(r2.hashes.map(hex)).toEqual([hex(src.root)])
    expect(sync.request('withholder')).toBeUndefined()
    // the other peer timed out: nothing is in flight, so the withholder gets it rather than a stall
    sync.expire(r2)
    expect(sync.request('withholder')!.hashes.map(hex)).toEqual([hex(src.root)])
  })

  it('progress counts known and pulled states; ops are children first', async () => {
    const src = await sourceState(300)
    const dest = new MemoryKeyValueStore()
    const sync = await createTrieSync(src.root, { db: dest })
    const ops: BatchOp[] = []
    let known = 0
    while (!sync.done()) {
      const req = sync.request('p', 50)
      if (req) await sync.deliver(req, await src.db.getNodeData([...req.hashes]))
      const c = sync.commit()
      ops.push(...c)
      dest.write(c)
      known = Math.max(known, sync.progress().known)
    }
    expect(sync.progress().pulled).toBe(src.ops.length)
    expect(known).toBe(src.ops.length)
    expect(hex(ops.at(-1)!.key)).toBe(hex(src.root))
  })

  it('into LevelDB: stopped, the database closed and reopened, resumed to the same state', async () => {
    const src = await sourceState(800)
    const dir = mkdtempSync(join(tmpdir(), 'ethwire-sync-'))
    const open = async () => {
      const l = new Level<Uint8Array, Uint8Array>(dir, {
        keyEncoding: 'view',
        valueEncoding: 'view',
      })
      await l.open()
      return l
    }
    try {
      let level = await open()
      const first = await createTrieSync(src.root, { db: level }, { maxInFlight: 100 })
      for (let round = 0; round < 15 && !first.done(); round++) {
        const req = first.request('a', 50)
        if (req) await first.deliver(req, await src.db.getNodeData([...req.hashes]))
        await level.batch(first.commit())
      }
      expect(first.done()).toBe(false)
      const pulledBefore = first.progress().pulled
      await level.close()

      level = await open()
      const second = await createTrieSync(src.root, { db: level })
      while (!second.done()) {
        const req = second.request('b', 100)
        if (req) await second.deliver(req, await src.db.getNodeData([...req.hashes]))
        await level.batch(second.commit())
      }
      expect(second.progress().pulled).toBeLessThan(src.kv.size - pulledBefore / 2)
      const copy = createStateDatabase({ db: level })
      for (let i = 0; i < 800; i += 37) {
        expect(await copy.getAccount(src.root, addr(i))).toEqual(
          await src.db.getAccount(src.root, addr(i)),
        )
        expect(await copy.getStorage(src.root, addr(i), word(2))).toEqual(
          await src.db.getStorage(src.root, addr(i), word(2)),
        )
      }
      await level.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
