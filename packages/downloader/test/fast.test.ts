/**
 * Fast sync (go-ethereum v1.8): headers, bodies and receipts up to the pivot (head − 64) stored
 * without execution, the pivot's state downloaded node by node through a trie-sync scheduler
 * (here the in-memory `MemoryStateSync` of ./testing), the pivot committed, the rest executed.
 */

import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import { bytesToHex, orderedTrieRoot } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { maxReceiptInflightPerPeer, maxStateInflightPerPeer } from '../src/constants.js'
import {
  createDownloader,
  type DownloaderOptions,
  isDownloaderError,
  type RootHasher,
  type SyncProgress,
} from '../src/index.js'
import {
  buildChain,
  MemoryChain,
  MemoryStateStore,
  memoryStateSync,
  type TestChain,
  TestPeer,
  type TestPeerOptions,
  type TestRequest,
} from '../src/testing.js'

// Built once: 1200 blocks, receipts for every transaction, a state of 1,500 accounts that changes
// one account per block (2,000 or so nodes and code entries per root, most shared between roots).
const data = buildChain({
  length: 1200,
  seed: 71,
  txEvery: 3,
  receipts: true,
  state: { accounts: 1500 },
})
const PIVOT = 1200 - 64
const nodeRequest = (r: TestRequest): boolean => r.kind === 'nodeData'
const receiptRequest = (r: TestRequest): boolean => r.kind === 'receipts'

function fastHarness(
  opts: {
    local?: number
    options?: DownloaderOptions
    chain?: TestChain
    stateSync?: boolean
    hasState?: (root: Uint8Array) => boolean
    rootHasher?: RootHasher
  } = {},
) {
  const chainData = opts.chain ?? data
  const clock = new FakeClock()
  const store = new MemoryStateStore()
  const factory = memoryStateSync(store)
  const chain = new MemoryChain(chainData.blocks.slice(0, (opts.local ?? 0) + 1), {
    clock,
    hasState: opts.hasState ?? ((root) => store.complete(root)),
  })
  const dl = createDownloader(
    {
      chain,
      clock,
      random: seededRandom(11),
      ...(opts.stateSync === false ? {} : { stateSync: factory }),
      ...(opts.rootHasher === undefined ? {} : { rootHasher: opts.rootHasher }),
    },
    { mode: 'fast', ...opts.options },
  )
  const peers = new Map<string, TestPeer>()
  const addPeer = (
    o: Omit<TestPeerOptions, 'clock' | 'blocks'> & { blocks?: TestPeerOptions['blocks'] },
  ) => {
    const p = new TestPeer({
      blocks: chainData.blocks,
      receipts: chainData.receipts!,
      state: chainData.state!.nodes,
      ...o,
      clock,
      onDisconnect: (id) => dl.unregisterPeer(id),
    })
    peers.set(p.id, p)
    dl.registerPeer(p)
    return p
  }
  return { clock, store, factory, chain, dl, peers, addPeer, data: chainData }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

describe('fast sync', () => {
  it('from one peer: receipts and blocks stored up to the pivot, its state downloaded, the rest executed', async () => {
    const h = fastHarness()
    const a = h.addPeer({ id: 'a', latencyMs: 15 })
    const events: string[] = []
    h.dl.on('pivotCommitted', (e) => events.push(`pivot ${e.number}`))
    let stored = 0
    h.dl.on('stored', (e) => {
      stored += e.count
    })
    const result = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(result).toMatchObject({
      mode: 'fast',
      pivot: BigInt(PIVOT),
      highest: 1200n,
      upToDate: false,
    })
    expect(result.imported).toBe(1200)
    // Up to the pivot: stored with receipts, never executed; after it: executed on its state.
    expect(sum(h.chain.receiptInsertCalls)).toBe(PIVOT)
    expect(stored).toBe(PIVOT)
    expect(sum(h.chain.insertCalls)).toBe(64)
    expect(h.chain.commits).toEqual([BigInt(PIVOT)])
    expect(events).toEqual([`pivot ${PIVOT}`])
    expect(bytesToHex(h.chain.currentBlock().hash)).toBe(bytesToHex(data.head.hash))
    expect(h.chain.hasStateOf(data.blocks[PIVOT - 1]!.hash)).toBe(false)
    expect(h.chain.hasStateOf(data.blocks[PIVOT]!.hash)).toBe(true)
    for (const n of [3, 600, PIVOT - 2]) {
      const want = data.receipts![n]!
      expect(want.length).toBeGreaterThan(0)
      expect(h.chain.getReceipts(data.blocks[n]!.hash)).toEqual(want)
    }
    // The pivot's state is all there (the head's root was started on first: it shares most nodes).
    const pivotRoot = data.blocks[PIVOT]!.header.stateRoot
    expect(h.store.complete(pivotRoot)).toBe(true)
    expect(h.factory.made.map((s) => bytesToHex(s.root))).toEqual([
      bytesToHex(data.head.header.stateRoot),
      bytesToHex(pivotRoot),
    ])
    expect(h.factory.made.every((s) => s.closed)).toBe(true)
    const p = h.dl.progress()
    expect(p).toMatchObject({
      mode: 'fast',
      currentBlock: 1200n,
      highestBlock: 1200n,
      pendingResults: 0,
    })
    expect(p.pulledStates).toBe(h.store.nodes.size)
    expect(p.pulledStates).toBeGreaterThanOrEqual(data.state!.reachable(pivotRoot))
    expect(p.knownStates).toBeGreaterThanOrEqual(p.pulledStates)
    expect(a.served.nodes).toBeGreaterThanOrEqual(p.pulledStates)
    expect(a.dropped).toBeUndefined()
    expect(h.clock.pending).toBe(0)
  })

  it('from several peers: receipts, state and bodies come from all of them', async () => {
    const h = fastHarness()
    const ps = ['a', 'b', 'c'].map((id, i) => h.addPeer({ id, latencyMs: 20 + 7 * i }))
    const result = await h.clock.run(h.dl.synchronise('a', data.head.hash, data.tds[1200]))
    expect(result).toMatchObject({ mode: 'fast', pivot: BigInt(PIVOT), imported: 1200 })
    expect(h.chain.commits).toEqual([BigInt(PIVOT)])
    for (const p of ps) {
      expect(p.dropped).toBeUndefined()
      expect(p.served.nodes).toBeGreaterThan(0)
      expect(p.served.receipts).toBeGreaterThan(0)
      expect(p.served.bodies).toBeGreaterThan(0)
    }
    expect(h.clock.pending).toBe(0)
  })

  it('moves the pivot forward when the sync runs long and the chain grows meanwhile', async () => {
    const h = fastHarness()
    // The chain grows one block every 100 ms from #700; the state comes slowly (16 nodes per
    // answer, 500 ms each, maxStateInflightPerPeer at once), so the pivot (#636 at first) goes stale.
    const head = (): number => 700 + Math.floor(h.clock.now() / 100)
    const a = h.addPeer({
      id: 'a',
      headNumber: head,
      latencyMs: (r) => (nodeRequest(r) ? 500 : 10),
      maxNodesServe: 16,
    })
    const moves: bigint[] = []
    h.dl.on('pivotCommitted', (e) => moves.push(e.number))
    const start = a.head()
    expect(start.number).toBe(700n)
    const result = await h.clock.run(h.dl.synchronise('a', start.hash, start.td))
    expect(result.mode).toBe('fast')
    const pivot = result.pivot!
    expect(pivot).toBeGreaterThan(636n + 128n) // it moved (more than once: stale at +128)
    expect(result.highest).toBeGreaterThanOrEqual(pivot + 64n)
    expect(h.chain.commits).toEqual([pivot]) // one commit, at the final pivot
    expect(moves).toEqual([pivot])
    // A scheduler per root: the head's, the first pivot's, then one per move.
    expect(h.factory.made.length).toBeGreaterThanOrEqual(3)
    expect(bytesToHex(h.factory.made[h.factory.made.length - 1]!.root)).toBe(
      bytesToHex(data.blocks[Number(pivot)]!.header.stateRoot),
    )
    expect(h.store.complete(data.blocks[Number(pivot)]!.header.stateRoot)).toBe(true)
    expect(h.chain.currentBlock().number).toBe(result.highest)
    expect(sum(h.chain.receiptInsertCalls)).toBe(Number(pivot))
    expect(h.clock.pending).toBe(0)
  })

  it('drops a peer withholding the state (never answering GetNodeData); completes from the others', async () => {
    const h = fastHarness()
    h.addPeer({ id: 'a', latencyMs: 20 })
    const w = h.addPeer({ id: 'w', latencyMs: 5, stall: nodeRequest })
    const result = await h.clock.run(h.dl.synchronise('a', data.head.hash))
    expect(result).toMatchObject({ mode: 'fast', imported: 1200 })
    expect(w.dropped?.code).toBe('ErrTimeout')
    expect(h.store.complete(data.blocks[PIVOT]!.header.stateRoot)).toBe(true)
    expect(h.clock.pending).toBe(0)
  })

  it('drops a peer serving nodes that do not hash to the asked keys (ErrInvalidState); completes', async () => {
    const h = fastHarness()
    h.addPeer({ id: 'a', latencyMs: 20 })
    const bad = h.addPeer({ id: 'bad', latencyMs: 5, wrongNodes: () => true })
    const result = await h.clock.run(h.dl.synchronise('a', data.head.hash))
    expect(result).toMatchObject({ mode: 'fast', imported: 1200 })
    expect(bad.dropped?.code).toBe('ErrInvalidState')
    expect(bad.requests.filter(nodeRequest)).toHaveLength(1)
    expect(h.factory.made.some((s) => s.rejected > 0)).toBe(true)
    expect(h.store.complete(data.blocks[PIVOT]!.header.stateRoot)).toBe(true)
  })

  it('drops a peer serving receipts that do not match the receipts root (ErrInvalidReceipts); completes', async () => {
    const h = fastHarness()
    h.addPeer({ id: 'a', latencyMs: 20 })
    const bad = h.addPeer({ id: 'bad', latencyMs: 5, corruptReceipts: () => true })
    const result = await h.clock.run(h.dl.synchronise('a', data.head.hash))
    expect(result).toMatchObject({ mode: 'fast', imported: 1200 })
    expect(bad.dropped?.code).toBe('ErrInvalidReceipts')
    // the requests it had in flight when its first answer was refused, and none after
    const asked = bad.requests.filter(receiptRequest).length
    expect(asked).toBeGreaterThanOrEqual(1)
    expect(asked).toBeLessThanOrEqual(maxReceiptInflightPerPeer)
    for (let n = 1; n <= PIVOT; n += 97) {
      expect(h.chain.getReceipts(data.blocks[n]!.hash)).toEqual(data.receipts![n])
    }
  })

  describe('with a root hasher (roots hashed off the thread)', () => {
    /** Hashes as asked (on a later microtask, as a worker answers), counting the lists. */
    const counting = (lie = false) => {
      const seen = { calls: 0, lists: 0 }
      const hasher: RootHasher = {
        orderedTrieRoots: async (lists) => {
          await Promise.resolve()
          seen.calls++
          seen.lists += lists.length
          return lists.map((l) => (lie ? new Uint8Array(32) : orderedTrieRoot(l)))
        },
      }
      return { hasher, seen }
    }

    it('checks bodies and receipts with its roots and completes', async () => {
      const { hasher, seen } = counting()
      const h = fastHarness({ rootHasher: hasher })
      h.addPeer({ id: 'a', latencyMs: 20 })
      const bad = h.addPeer({ id: 'bad', latencyMs: 5, corruptReceipts: () => true })
      const result = await h.clock.run(h.dl.synchronise('a', data.head.hash))
      expect(result).toMatchObject({ mode: 'fast', imported: 1200 })
      // every body with transactions and each of their receipt lists up to the pivot went
      // through it at least once (empty ones are never fetched)
      const full = data.blocks.filter((b) => b.transactions.length > 0)
      const below = full.filter((b) => b.header.number <= BigInt(PIVOT))
      expect(below.length).toBeGreaterThan(100)
      expect(seen.lists).toBeGreaterThanOrEqual(full.length + below.length)
      expect(bad.dropped?.code).toBe('ErrInvalidReceipts')
      for (let n = 1; n <= PIVOT; n += 97) {
        expect(h.chain.getReceipts(data.blocks[n]!.hash)).toEqual(data.receipts![n])
      }
    })

    it('its roots decide: a hasher giving wrong roots makes the good peer look bad', async () => {
      const { hasher } = counting(true)
      const h = fastHarness({ rootHasher: hasher })
      const a = h.addPeer({ id: 'a', latencyMs: 10 })
      const err = await h.clock.run(h.dl.synchronise('a', data.head.hash)).catch((e) => e)
      expect(isDownloaderError(err)).toBe(true)
      expect(a.dropped?.code).toMatch(/^ErrInvalid(Body|Receipts)$/)
    })

    it('a hasher that fails is worked around: roots are hashed inline, the sync completes', async () => {
      let calls = 0
      const h = fastHarness({
        rootHasher: {
          orderedTrieRoots: async () => {
            calls++
            throw new Error('worker gone')
          },
        },
      })
      const a = h.addPeer({ id: 'a', latencyMs: 10 })
      const result = await h.clock.run(h.dl.synchronise('a', data.head.hash))
      expect(result).toMatchObject({ mode: 'fast', imported: 1200 })
      expect(calls).toBeGreaterThan(0)
      expect(a.dropped).toBeUndefined()
    })
  })

  it('fails with the misbehaviour when the only peer serves wrong receipts, storing nothing bad', async () => {
    const h = fastHarness()
    const a = h.addPeer({ id: 'a', latencyMs: 10, corruptReceipts: () => true })
    const err = await h.clock.run(h.dl.synchronise('a', data.head.hash)).catch((e) => e)
    expect(isDownloaderError(err, 'ErrInvalidReceipts')).toBe(true)
    expect(a.dropped?.code).toBe('ErrInvalidReceipts')
    expect(h.chain.commits).toEqual([])
    expect(h.clock.pending).toBe(0)
  })

  it('a chain that refuses to commit the pivot ends the sync without blaming a peer', async () => {
    const h = fastHarness({ hasState: () => false })
    const a = h.addPeer({ id: 'a', latencyMs: 10 })
    const err = await h.clock.run(h.dl.synchronise('a', data.head.hash)).catch((e) => e)
    expect(isDownloaderError(err, 'ErrInvalidChain')).toBe(true)
    expect(String(err)).toMatch(/commit the pivot/)
    expect(a.dropped).toBeUndefined()
    expect(h.chain.currentBlock().number).toBe(0n)
    expect(h.clock.pending).toBe(0)
  })

  it('does not punish a peer that has no state to give (empty NodeData); asks the others', async () => {
    const h = fastHarness()
    h.addPeer({ id: 'a', latencyMs: 20 })
    const e = h.addPeer({ id: 'e', latencyMs: 5, emptyNodeData: () => true })
    const result = await h.clock.run(h.dl.synchronise('a', data.head.hash))
    expect(result).toMatchObject({ mode: 'fast', imported: 1200 })
    expect(e.dropped).toBeUndefined()
    expect(e.requests.filter(nodeRequest).length).toBeLessThanOrEqual(3) // maxEmptyResponses
    expect(e.served.bodies).toBeGreaterThan(0) // still useful for the rest
  })

  it('fails (no peer left for the state) when nobody serves it, and resumes with a peer that does', async () => {
    const h = fastHarness()
    const e = h.addPeer({ id: 'e', latencyMs: 10, emptyNodeData: () => true })
    const err = await h.clock.run(h.dl.synchronise('e', data.head.hash)).catch((x) => x)
    expect(isDownloaderError(err, 'ErrNoPeers')).toBe(true)
    expect(e.dropped).toBeUndefined()
    // Everything below the pivot was stored meanwhile; the fast head is where the next sync starts.
    const fastHead = h.chain.currentFastBlock!().number
    expect(fastHead).toBe(BigInt(PIVOT - 1))
    expect(h.chain.currentBlock().number).toBe(0n)
    const before = h.chain.receiptInsertCalls.length
    h.addPeer({ id: 'a', latencyMs: 10 })
    const result = await h.clock.run(h.dl.synchronise('a', data.head.hash))
    expect(result).toMatchObject({ mode: 'fast', pivot: BigInt(PIVOT) })
    expect(result.ancestor).toBeGreaterThanOrEqual(fastHead - 16n)
    expect(sum(h.chain.receiptInsertCalls.slice(before))).toBeLessThan(40) // not from genesis again
    expect(h.chain.commits).toEqual([BigInt(PIVOT)])
    expect(h.chain.currentBlock().number).toBe(1200n)
  })

  it('runs as a full sync when no peer serves GetNodeData (eth/67+ only)', async () => {
    const h = fastHarness()
    const a = h.addPeer({ id: 'a', latencyMs: 10, nodeData: false })
    expect(a.requestNodeData).toBeUndefined()
    const result = await h.clock.run(h.dl.synchronise('a', data.head.hash))
    expect(result).toMatchObject({ mode: 'full', imported: 1200 })
    expect(result.pivot).toBeUndefined()
    expect(sum(h.chain.insertCalls)).toBe(1200)
    expect(h.chain.receiptInsertCalls).toEqual([])
    expect(a.requests.filter(receiptRequest)).toHaveLength(0)
    expect(h.dl.progress().mode).toBe('full')
  })

  it('runs as a full sync without a state scheduler, or when the pivot is not above our head', async () => {
    const noState = fastHarness({ stateSync: false })
    noState.addPeer({ id: 'a', latencyMs: 10 })
    const r1 = await noState.clock.run(noState.dl.synchronise('a', data.head.hash))
    expect(r1.mode).toBe('full')
    const near = fastHarness({ local: 1150 })
    near.addPeer({ id: 'a', latencyMs: 10 })
    const r2 = await near.clock.run(near.dl.synchronise('a', data.head.hash))
    expect(r2).toMatchObject({ mode: 'full', imported: 50 })
    expect(near.factory.made).toHaveLength(0)
  })

  it('synchronise(…, { mode }) overrides the default; the default is full', async () => {
    const h = fastHarness({ options: { mode: 'full' } })
    h.addPeer({ id: 'a', latencyMs: 10 })
    const result = await h.clock.run(
      h.dl.synchronise('a', data.head.hash, undefined, { mode: 'fast' }),
    )
    expect(result.mode).toBe('fast')
    const plain = createDownloader({
      chain: new MemoryChain(data.blocks.slice(0, 1)),
      clock: h.clock,
      random: Math.random,
    })
    expect(plain.progress().mode).toBe('full')
  })

  it('reports state progress while the state downloads (eth_syncing pulledStates / knownStates)', async () => {
    const h = fastHarness()
    const samples: SyncProgress[] = []
    h.addPeer({
      id: 'a',
      latencyMs: (r) => {
        if (nodeRequest(r)) samples.push(h.dl.progress())
        return 10
      },
    })
    await h.clock.run(h.dl.synchronise('a', data.head.hash))
    expect(samples.length).toBeGreaterThan(3)
    // a sample taken while the pivot's state downloads (some pulled, more known)
    const mid = samples.find((s) => s.pulledStates > 0 && s.knownStates > s.pulledStates)!
    expect(mid).toBeDefined()
    expect(mid.mode).toBe('fast')
    expect(mid.knownStates).toBeGreaterThan(mid.pulledStates)
    expect(mid.pulledStates).toBeGreaterThan(0)
    for (let i = 1; i < samples.length; i++) {
      expect(samples[i]!.pulledStates).toBeGreaterThanOrEqual(samples[i - 1]!.pulledStates)
    }
  })
})

describe('fast sync timing (virtual time)', () => {
  it('keeps up to maxStateInflightPerPeer GetNodeData requests of one peer in flight', async () => {
    // small requests, so the state's hashes are spread over many requests whatever else is in
    // flight (bodies and receipts take several requests of their own at once)
    const h = fastHarness({ options: { maxStateFetch: 4 } })
    const a = h.addPeer({ id: 'a', latencyMs: 15 })
    const orig = a.requestNodeData!.bind(a)
    let now = 0
    let most = 0
    ;(a as { requestNodeData: typeof orig }).requestNodeData = async (hashes, signal) => {
      now++
      most = Math.max(most, now)
      try {
        return await orig(hashes, signal)
      } finally {
        now--
      }
    }
    const result = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(result.mode).toBe('fast')
    expect(most).toBe(maxStateInflightPerPeer)
  })

  it('fills up to maxHeaderFillInflightPerPeer skeleton gaps of one peer at once', async () => {
    const h = fastHarness()
    const a = h.addPeer({ id: 'a', latencyMs: 15 })
    const orig = a.requestHeadersByHash.bind(a)
    let now = 0
    let most = 0
    ;(a as { requestHeadersByHash: typeof orig }).requestHeadersByHash = async (...args) => {
      now++
      most = Math.max(most, now)
      try {
        return await orig(...args)
      } finally {
        now--
      }
    }
    const result = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(result).toMatchObject({ mode: 'fast', imported: 1200 })
    expect(most).toBe(3)
  })

  it('keeps up to maxBodyInflightPerPeer / maxReceiptInflightPerPeer requests of one peer in flight', async () => {
    const h = fastHarness({ options: { maxBodyFetch: 8, maxReceiptFetch: 8 } })
    const a = h.addPeer({ id: 'a', latencyMs: 15 })
    const most = { bodies: 0, receipts: 0 }
    const now = { bodies: 0, receipts: 0 }
    const wrap = <F extends (...args: never[]) => Promise<unknown>>(
      kind: 'bodies' | 'receipts',
      f: F,
    ) =>
      (async (...args: Parameters<F>) => {
        now[kind]++
        most[kind] = Math.max(most[kind], now[kind])
        try {
          return await f(...args)
        } finally {
          now[kind]--
        }
      }) as unknown as F
    const peer = a as {
      requestBodies: typeof a.requestBodies
      requestReceipts: typeof a.requestReceipts
    }
    peer.requestBodies = wrap('bodies', a.requestBodies.bind(a))
    peer.requestReceipts = wrap('receipts', a.requestReceipts!.bind(a))
    const result = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(result).toMatchObject({ mode: 'fast', imported: 1200 })
    expect(most).toEqual({ bodies: 3, receipts: 3 })
  })

  it('commits the pivot as soon as its state completes and ends without an idle header-poll wait', async () => {
    const h = fastHarness()
    const a = h.addPeer({ id: 'a', latencyMs: 15 })
    const result = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    const at = result.timeline!.at
    for (const p of ['head', 'ancestor', 'stateStart', 'headers', 'stateDone', 'committed', 'done'])
      expect(at[p as keyof typeof at], p).toBeTypeOf('number')
    // The pivot waits for nothing but its state and the blocks below it.
    const ready = Math.max(at.stateDone!, at.belowPivotStored ?? 0)
    expect(at.committed! - ready).toBeLessThan(100)
    // After the commit the 64 blocks are fetched and executed; the 3 s fsHeaderContCheck pause
    // of the skeleton ends at the commit instead of running out.
    expect(at.done! - at.committed!).toBeLessThan(3_000)
    expect(result.timeline!.blocks).toEqual({ stored: PIVOT, executed: 1200 - PIVOT })
    expect(result.timeline!.fetched.state.items).toBeGreaterThan(0)
    expect(result.timeline!.stateBytes).toBeGreaterThan(0)
  })
})
