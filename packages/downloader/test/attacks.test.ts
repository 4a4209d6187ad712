/**
 * Interop and hostile peers (issue 16): a server that answers a skeleton request reaching past
 * its head with nothing at all, peers that drop a header from a batch or shift a batch by one,
 * and what `progress()` (eth_syncing) says after a sync that failed or was faked.
 */
import { bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { isDownloaderError, type SyncProgress } from '../src/index.js'
import { buildChain, type TestRequest } from '../src/testing.js'
import { expectCanonical, harness } from './helpers.js'

const main = buildChain({ length: 3000, seed: 61 })
const skeletonRequest = (r: TestRequest): boolean => r.kind === 'headersByNumber' && r.skip === 191
const contiguousRequest = (r: TestRequest): boolean =>
  r.kind === 'headersByNumber' && r.skip === 0 && r.amount > 1
const fillRequest = (r: TestRequest): boolean =>
  r.kind === 'headersByHash' && r.reverse === true && r.amount > 1

describe('skeleton fallback (go-ethereum v1.8 fetchHeaders)', () => {
  it('an empty skeleton answer from a master that has the head: the rest comes contiguously from it', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks.slice(0, 1001),
      latencyMs: 10,
      emptyPastHead: true,
    })
    const result = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(result).toMatchObject({ imported: 1000, highest: 1000n })
    expectCanonical(h.chain, main, 1000)
    expect(a.dropped).toBeUndefined()
    // One skeleton request answered with nothing, then contiguous requests of at most 192.
    const skeletons = a.requests.filter(skeletonRequest)
    expect(skeletons).toHaveLength(1)
    const contiguous = a.requests.filter(contiguousRequest)
    expect(contiguous.length).toBe(Math.ceil(1000 / 192))
    expect(contiguous.every((r) => r.amount <= 192 && r.index > skeletons[0]!.index)).toBe(true)
  })

  it('with several peers: bodies still come from all of them', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 20, emptyPastHead: true })
    const others = ['b', 'c'].map((id) => h.addPeer({ id, blocks: main.blocks, latencyMs: 20 }))
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    for (const p of [a, ...others]) {
      expect(p.dropped).toBeUndefined()
      expect(p.served.bodies).toBeGreaterThan(0)
    }
  })

  it('an empty answer to a contiguous request below the announced head still drops the master', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks.slice(0, 1001),
      latencyMs: 10,
      emptyPastHead: true,
      // After the empty skeleton, it claims to have nothing at all below its own head either.
      emptyHeaders: contiguousRequest,
    })
    const err = await h.clock.run(h.dl.synchronise('a', a.head().hash)).catch((e) => e)
    expect(isDownloaderError(err, 'ErrEmptyHeaderSet')).toBe(true)
    expect(a.dropped?.code).toBe('ErrEmptyHeaderSet')
    expect(a.requests.filter(contiguousRequest)).toHaveLength(1) // asked after the empty skeleton
  })
})

describe('peers that tamper with header batches', () => {
  it('a gap filler that leaves a header out of its answer is dropped; the sync completes', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 30 })
    const bad = h.addPeer({ id: 'bad', blocks: main.blocks, latencyMs: 5, dropHeader: fillRequest })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    expect(bad.dropped?.code).toBe('ErrBadPeer')
    expect(bad.requests.filter(fillRequest).length).toBe(1) // not asked again
  })

  it('a gap filler that shifts its answer by one is dropped; the sync completes', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 30 })
    const bad = h.addPeer({
      id: 'bad',
      blocks: main.blocks,
      latencyMs: 5,
      shiftHeaders: fillRequest,
    })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expect(bad.dropped?.code).toBe('ErrBadPeer')
  })

  it('a master that leaves a header out of its contiguous tail is dropped; another master finishes', async () => {
    const h = harness(main, 0)
    // 3000 = 15 gaps of 192 + a tail of 120 fetched contiguously from the master.
    const m = h.addPeer({
      id: 'm',
      blocks: main.blocks,
      latencyMs: 10,
      dropHeader: contiguousRequest,
    })
    h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 20 })
    const result = await h.clock.run(h.dl.synchronise('m', main.head.hash))
    expect(m.dropped?.code).toBe('ErrBadPeer')
    expect(result).toMatchObject({ peerId: 'b', imported: 3000 })
    expectCanonical(h.chain, main, 3000)
  })

  it('a master that shifts its skeleton by one is dropped; another master finishes', async () => {
    const h = harness(main, 0)
    const m = h.addPeer({
      id: 'm',
      blocks: main.blocks,
      latencyMs: 10,
      shiftHeaders: skeletonRequest,
    })
    h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 20 })
    const result = await h.clock.run(h.dl.synchronise('m', main.head.hash))
    expect(m.dropped?.code).toBe('ErrBadPeer')
    expect(result).toMatchObject({ peerId: 'b', imported: 3000 })
    expectCanonical(h.chain, main, 3000)
  })

  it('a master that shifts its ancestor spread by one is dropped before anything is fetched', async () => {
    const h = harness(main, 1000)
    const spread = (r: TestRequest): boolean => r.kind === 'headersByNumber' && r.skip === 15
    const m = h.addPeer({ id: 'm', blocks: main.blocks, latencyMs: 10, shiftHeaders: spread })
    h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 20 })
    const result = await h.clock.run(h.dl.synchronise('m', main.head.hash))
    expect(m.dropped?.code).toBe('ErrBadPeer')
    expect(result).toMatchObject({ peerId: 'b', ancestor: 1000n, imported: 2000 })
  })
})

describe('progress (eth_syncing) after a failed or faked sync', () => {
  it('is our head from the very start of a sync, never zeros, until the head header is known', async () => {
    const h = harness(main, 500)
    const seen: SyncProgress[] = []
    h.dl.on('syncStarted', () => seen.push(h.dl.progress()))
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks.slice(0, 1001),
      latencyMs: (r) => {
        seen.push(h.dl.progress()) // as eth_syncing would see it while the request is out
        return r.index === 0 ? 500 : 10
      },
    })
    await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(seen.length).toBeGreaterThan(2)
    for (const p of seen) {
      expect(p.currentBlock).toBeGreaterThanOrEqual(500n)
      expect(p.startingBlock).toBeGreaterThanOrEqual(500n)
      expect(p.highestBlock).toBeGreaterThanOrEqual(p.currentBlock)
    }
  })

  it('after a failed sync: no pending results left, our real head as the current block', async () => {
    const h = harness(
      main,
      0,
      { maxImportBatch: 100 },
      { reject: (b) => b.header.number === 1500n },
    )
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 10 })
    h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 10 })
    const err = await h.clock.run(h.dl.synchronise('a', main.head.hash)).catch((e) => e)
    expect(isDownloaderError(err, 'ErrInvalidChain')).toBe(true)
    const p = h.dl.progress()
    expect(h.chain.currentBlock().number).toBeLessThan(1500n)
    expect(p.currentBlock).toBe(h.chain.currentBlock().number)
    expect(p.pendingResults).toBe(0)
    expect(p.pendingResultBytes).toBe(0)
  })

  it('after a faked sync (announced total difficulty not backed by the chain): our real head, no borrowed height', async () => {
    // Our chain: 1000 heavy blocks. Theirs: lighter but longer (a fork at 500), announced heavier.
    const heavy = buildChain({ length: 1000, seed: 62, difficulty: 3n })
    const light = buildChain({ parent: heavy, forkAt: 500, length: 600, seed: 63, difficulty: 1n })
    const h = harness(heavy, 1000)
    const liar = h.addPeer({ id: 'liar', blocks: light.blocks, td: 1_000_000n, latencyMs: 10 })
    const result = await h.clock.run(h.dl.synchronise('liar', liar.head().hash, 1_000_000n))
    expect(result.imported).toBe(600) // stored as a side chain; the head did not move
    expect(liar.dropped?.code).toBe('ErrBadPeer')
    expect(bytesToHex(h.chain.currentBlock().hash)).toBe(bytesToHex(heavy.head.hash))
    const p = h.dl.progress()
    expect(p.currentBlock).toBe(1000n)
    expect(p.highestBlock).toBe(1000n)
  })

  it('after a sync whose master lied and was dropped: its height is not reported as the highest block', async () => {
    const h = harness(main, 0)
    // The only peer with the head serves broken skeleton gaps; the other peer is behind.
    const liar = h.addPeer({
      id: 'liar',
      blocks: main.blocks,
      latencyMs: 10,
      corruptHeaders: fillRequest,
    })
    h.addPeer({ id: 'short', blocks: main.blocks.slice(0, 200), latencyMs: 10 })
    const err = await h.clock.run(h.dl.synchronise('liar', main.head.hash)).catch((e) => e)
    expect(isDownloaderError(err)).toBe(true)
    expect(liar.dropped?.code).toBe('ErrBadPeer')
    const p = h.dl.progress()
    expect(p.currentBlock).toBe(h.chain.currentBlock().number)
    expect(p.highestBlock).toBe(p.currentBlock)
    expect(p.pendingResults).toBe(0)
  })
})
