import { bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { DownloaderError, isDownloaderError } from '../src/index.js'
import { buildChain, type TestRequest } from '../src/testing.js'
import { expectCanonical, harness } from './helpers.js'

// Built once: building and hashing a chain is the slow part of these tests.
const main = buildChain({ length: 3000, seed: 1 })
const fillRequest = (r: TestRequest): boolean =>
  r.kind === 'headersByHash' && r.reverse === true && r.amount > 1

describe('full sync', () => {
  it('syncs from one peer: every block imported in order, events fired, nothing left behind', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({ id: 'a', blocks: main.blocks.slice(0, 1001), latencyMs: 15 })
    const events: string[] = []
    h.dl.on('syncStarted', () => events.push('started'))
    h.dl.on('syncDone', () => events.push('done'))
    h.dl.on('syncFailed', () => events.push('failed'))
    const p = h.dl.synchronise('a', a.head().hash, a.head().td)
    expect(h.dl.synchronising).toBe(true)
    const result = await h.clock.run(p)
    expect(result).toMatchObject({
      peerId: 'a',
      ancestor: 0n,
      highest: 1000n,
      imported: 1000,
      upToDate: false,
    })
    expectCanonical(h.chain, main, 1000)
    expect(events).toEqual(['started', 'done'])
    expect(h.dl.synchronising).toBe(false)
    expect(h.dl.progress()).toMatchObject({
      startingBlock: 0n,
      currentBlock: 1000n,
      highestBlock: 1000n,
    })
    expect(h.clock.pending).toBe(0)
    expect(a.dropped).toBeUndefined()
    // Empty bodies are never requested: fewer bodies served than blocks.
    expect(a.served.bodies).toBeGreaterThan(0)
    expect(a.served.bodies).toBeLessThan(1000)
  })

  it('syncs from several peers, spreading gap fills and bodies over all of them', async () => {
    const h = harness(main, 0, { maxSkeletonSize: 4 })
    const ps = ['a', 'b', 'c', 'd'].map((id, i) =>
      h.addPeer({ id, blocks: main.blocks, latencyMs: 20 + i * 5 }),
    )
    const head = main.head
    const result = await h.clock.run(h.dl.synchronise('a', head.hash, main.tds[3000]))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    for (const p of ps) {
      expect(p.dropped).toBeUndefined()
      expect(p.served.bodies).toBeGreaterThan(0)
      expect(p.requests.some(fillRequest)).toBe(true)
    }
    // Several skeleton rounds (4 points each) were asked of the master only.
    const skeletons = (r: TestRequest): boolean => r.kind === 'headersByNumber' && r.skip === 191
    expect(ps[0]!.requests.filter(skeletons).length).toBeGreaterThanOrEqual(3)
    for (const p of ps.slice(1)) expect(p.requests.filter(skeletons)).toHaveLength(0)
    expect(h.clock.pending).toBe(0)
  })

  it('carries on when a peer disconnects mid-sync', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 20 })
    const b = h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 20, disconnectAfter: 4 })
    h.addPeer({ id: 'c', blocks: main.blocks, latencyMs: 25 })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    expect(b.disconnected).toBe(true)
    expect(b.dropped).toBeUndefined() // it left; it was not dropped for misbehaviour
    expect(h.dl.peerIds().sort()).toEqual(['a', 'c'])
  })

  it('elects another master when the master disconnects mid-sync', async () => {
    const h = harness(main, 0, { maxSkeletonSize: 2 })
    const a = h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 20, disconnectAfter: 6 })
    h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 20 })
    h.addPeer({ id: 'c', blocks: main.blocks.slice(0, 2000), latencyMs: 20 }) // lacks our head
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(a.disconnected).toBe(true)
    expect(result.imported).toBe(3000)
    expect(result.peerId).toBe('b')
    expectCanonical(h.chain, main, 3000)
  })

  it('completes with a slow peer, which gets less work and is not dropped', async () => {
    const h = harness(main, 0)
    const fast1 = h.addPeer({ id: 'fast1', blocks: main.blocks, latencyMs: 10 })
    const fast2 = h.addPeer({ id: 'fast2', blocks: main.blocks, latencyMs: 10 })
    const slow = h.addPeer({ id: 'slow', blocks: main.blocks, latencyMs: 1500 })
    const result = await h.clock.run(h.dl.synchronise('fast1', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    expect(slow.dropped).toBeUndefined()
    expect(slow.served.bodies).toBeLessThan(fast1.served.bodies)
    expect(slow.served.bodies).toBeLessThan(fast2.served.bodies)
  })

  it('requeues expired requests and drops a peer that keeps stalling', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 20 })
    const staller = h.addPeer({
      id: 'stall',
      blocks: main.blocks,
      latencyMs: 20,
      stall: (r) => r.kind === 'bodies' || fillRequest(r),
    })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    expect(staller.dropped?.code).toBe('ErrTimeout')
    expect(h.clock.pending).toBe(0)
  })

  it('accepts partial answers from peers that cap their responses', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks,
      latencyMs: 20,
      maxHeadersServe: 150,
      maxBodiesServe: 7,
    })
    const b = h.addPeer({
      id: 'b',
      blocks: main.blocks,
      latencyMs: 20,
      maxHeadersServe: 50,
      maxBodiesServe: 3,
    })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    expect(a.dropped).toBeUndefined()
    expect(b.dropped).toBeUndefined()
    // Gaps were split: fills that start off the 192-grid exist.
    const offGrid = [...a.requests, ...b.requests].filter(
      (r) => fillRequest(r) && r.origin! % 192n !== 0n,
    )
    expect(offGrid.length).toBeGreaterThan(0)
  })

  it('does not punish a peer on another fork; it just is not useful', async () => {
    const other = buildChain({ parent: main, forkAt: 500, length: 2600, seed: 5 })
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 30 })
    const o = h.addPeer({ id: 'other', blocks: other.blocks, latencyMs: 5 })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    expect(o.dropped).toBeUndefined()
    expect(h.dl.peerIds().sort()).toEqual(['a', 'other'])
  })

  it('retries a skeleton request that expired once with the same master', async () => {
    const h = harness(main, 0)
    let stalled = 0
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks,
      latencyMs: 20,
      stall: (r) => r.kind === 'headersByNumber' && r.skip === 191 && stalled++ === 0,
    })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expect(a.dropped).toBeUndefined()
    expect(a.requests.filter((r) => r.skip === 191).length).toBeGreaterThanOrEqual(2)
  })

  it('gives work to a peer that joins mid-sync', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 40 })
    let late: ReturnType<typeof h.addPeer> | undefined
    h.dl.on('imported', () => {
      late ??= h.addPeer({ id: 'late', blocks: main.blocks, latencyMs: 10 })
    })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expect(late?.served.bodies).toBeGreaterThan(0)
  })

  it('fails with ErrNoPeers when no peer has the bodies, without dropping anyone', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks.slice(0, 800),
      latencyMs: 20,
      emptyBodies: () => true,
    })
    const b = h.addPeer({
      id: 'b',
      blocks: main.blocks.slice(0, 800),
      latencyMs: 20,
      emptyBodies: () => true,
    })
    const err = await h.clock.run(h.dl.synchronise('a', a.head().hash)).catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrNoPeers')).toBe(true)
    expect(a.dropped).toBeUndefined()
    expect(b.dropped).toBeUndefined()
    expect(h.clock.pending).toBe(0)
  })

  it('fails with ErrTimeout when the only peer stalls', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks.slice(0, 500),
      latencyMs: 20,
      stall: (r) => r.index >= 1,
    })
    const err = await h.clock.run(h.dl.synchronise('a', a.head().hash)).catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrTimeout')).toBe(true)
    expect(a.dropped?.code).toBe('ErrTimeout')
    expect(h.clock.pending).toBe(0)
  })
})

describe('misbehaving peers', () => {
  it('drops a peer serving wrong headers and completes with the others', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 20 })
    const bad = h.addPeer({
      id: 'bad',
      blocks: main.blocks,
      latencyMs: 5,
      corruptHeaders: fillRequest,
    })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    expect(bad.dropped?.code).toBe('ErrBadPeer')
    expect(h.dl.peerIds()).toEqual(['a'])
    // Not asked again after the drop.
    const at = bad.requests.findIndex(fillRequest)
    expect(bad.requests.length).toBeLessThanOrEqual(at + 2)
  })

  it('drops a peer serving wrong bodies and completes with the others', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 20 })
    const bad = h.addPeer({
      id: 'bad',
      blocks: main.blocks,
      latencyMs: 5,
      corruptBodies: () => true,
    })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expectCanonical(h.chain, main, 3000)
    expect(bad.dropped?.code).toBe('ErrInvalidBody')
  })

  it('drops a peer that answers with items it was not asked for', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 20 })
    const bad = h.addPeer({
      id: 'bad',
      blocks: main.blocks,
      latencyMs: 5,
      extraItems: (r) => r.kind === 'bodies',
    })
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expect(bad.dropped?.code).toBe('ErrUnrequestedData')
  })

  it('counts unrequested deliveries reported by the peer layer and drops at the limit', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 20 })
    const dropped: string[] = []
    h.dl.on('peerDropped', (e) => dropped.push(`${e.peerId}:${e.error.code}`))
    h.dl.reportUnrequested('a', 'BlockHeaders')
    expect(a.dropped).toBeUndefined()
    h.dl.reportUnrequested('a', 'BlockBodies')
    expect(a.dropped?.code).toBe('ErrUnrequestedData')
    expect(dropped).toEqual(['a:ErrUnrequestedData'])
    expect(h.dl.peerIds()).toEqual([])
  })

  it('fails with the misbehaviour code when the only peer serves bad bodies', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks.slice(0, 400),
      latencyMs: 20,
      corruptBodies: () => true,
    })
    const failed: DownloaderError[] = []
    h.dl.on('syncFailed', (e) => failed.push(e.error))
    const err = await h.clock.run(h.dl.synchronise('a', a.head().hash)).catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrInvalidBody')).toBe(true)
    expect(failed).toHaveLength(1)
    expect(h.chain.currentBlock().number).toBeLessThan(400n)
    expect(h.clock.pending).toBe(0)
  })

  it('drops a master whose head header is not the announced one', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({
      id: 'a',
      blocks: main.blocks.slice(0, 100),
      corruptHeaders: (r) => r.index === 0,
    })
    const err = await h.clock.run(h.dl.synchronise('a', a.head().hash)).catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrBadPeer')).toBe(true)
    expect(a.dropped?.code).toBe('ErrBadPeer')
  })

  it('falls back to another peer with the same head when the master lies from the start', async () => {
    const h = harness(main, 0)
    const liar = h.addPeer({ id: 'liar', blocks: main.blocks, corruptHeaders: () => true })
    h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 10 })
    const result = await h.clock.run(h.dl.synchronise('liar', main.head.hash))
    expect(liar.dropped?.code).toBe('ErrBadPeer')
    expect(result).toMatchObject({ peerId: 'b', imported: 3000 })
    expectCanonical(h.chain, main, 3000)
  })

  it('drops a master whose chain does not have the total difficulty it announced', async () => {
    const h = harness(main, 0)
    const a = h.addPeer({ id: 'a', blocks: main.blocks.slice(0, 301), td: 10_000n, latencyMs: 10 })
    const result = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(result.imported).toBe(300)
    expect(a.dropped?.code).toBe('ErrBadPeer')
  })

  it('fails with ErrInvalidChain and drops the master when the chain rejects a block', async () => {
    const h = harness(main, 0, {}, { reject: (b) => b.header.number === 700n })
    const a = h.addPeer({ id: 'a', blocks: main.blocks.slice(0, 1001), latencyMs: 10 })
    const err = await h.clock.run(h.dl.synchronise('a', a.head().hash)).catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrInvalidChain')).toBe(true)
    expect(a.dropped?.code).toBe('ErrInvalidChain')
    expect(h.chain.currentBlock().number).toBeLessThan(700n)
  })

  it('a local failure of the chain (local: true) ends the sync with ErrLocalChain and drops nobody', async () => {
    const h = harness(main, 0, {}, { failLocally: (b) => b.header.number === 700n })
    const a = h.addPeer({ id: 'a', blocks: main.blocks.slice(0, 1001), latencyMs: 10 })
    const err = await h.clock.run(h.dl.synchronise('a', a.head().hash)).catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrLocalChain')).toBe(true)
    expect(a.dropped).toBeUndefined()
    expect(h.chain.currentBlock().number).toBe(699n)
    // the same peer is still registered and serves the next attempt once the chain recovers
    expect(h.dl.peerIds()).toContain('a')
  })
})

describe('forks and ancestors', () => {
  it('finds a common ancestor far below our head and switches to the heavier fork', async () => {
    const fork = buildChain({ parent: main, forkAt: 300, length: 1700, seed: 2 })
    const h = harness(main, 1000)
    const f = h.addPeer({ id: 'f', blocks: fork.blocks, latencyMs: 10 })
    const result = await h.clock.run(h.dl.synchronise('f', fork.head.hash, fork.tds[2000]))
    expect(result.ancestor).toBe(300n)
    expect(result.imported).toBe(1700)
    expectCanonical(h.chain, fork, 2000)
    // The spread request found nothing, so a binary search followed (single-header requests).
    const singles = f.requests.filter((r) => r.kind === 'headersByNumber' && r.amount === 1)
    expect(singles.length).toBeGreaterThan(3)
    expect(singles.length).toBeLessThan(15)
  })

  it('finds a recent ancestor with the spread request alone', async () => {
    const fork = buildChain({ parent: main, forkAt: 950, length: 100, seed: 3 })
    const h = harness(main, 1000)
    const f = h.addPeer({ id: 'f', blocks: fork.blocks, latencyMs: 10 })
    const result = await h.clock.run(h.dl.synchronise('f', fork.head.hash, fork.tds[1050]))
    // The spread hits every 16th block: the highest known one at or below the fork point.
    expect(result.ancestor).toBeLessThanOrEqual(950n)
    expect(result.ancestor).toBeGreaterThan(950n - 16n)
    expect(f.requests.filter((r) => r.kind === 'headersByNumber' && r.amount === 1)).toHaveLength(0)
    expectCanonical(h.chain, fork, 1050)
  })

  it('rejects an ancestor deeper than the maximum fork ancestry (ErrInvalidAncestor)', async () => {
    const fork = buildChain({ parent: main, forkAt: 200, length: 1500, seed: 4 })
    const h = harness(main, 1000, { maxForkAncestry: 500 })
    const f = h.addPeer({ id: 'f', blocks: fork.blocks, latencyMs: 10 })
    const err = await h.clock.run(h.dl.synchronise('f', fork.head.hash)).catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrInvalidAncestor')).toBe(true)
    expect(f.dropped?.code).toBe('ErrInvalidAncestor')
    expect(h.chain.currentBlock().number).toBe(1000n)
  })

  it('does nothing when we are ahead', async () => {
    const h = harness(main, 1000)
    const a = h.addPeer({ id: 'a', blocks: main.blocks.slice(0, 501), latencyMs: 10 })
    const events: string[] = []
    h.dl.on('syncStarted', () => events.push('started'))
    const byTd = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(byTd).toMatchObject({ imported: 0, upToDate: true })
    expect(a.requests).toHaveLength(0)
    expect(events).toEqual([])
    // Without a total difficulty (eth/69): one head request shows we have the block.
    const byHash = await h.clock.run(h.dl.synchronise('a', a.head().hash))
    expect(byHash).toMatchObject({ imported: 0, upToDate: true })
    expect(a.requests).toHaveLength(1)
    expect(h.chain.currentBlock().number).toBe(1000n)
  })
})

describe('control', () => {
  it('cancels in the middle, leaves no timers, and a later sync resumes from there', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 50 })
    h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 50 })
    let imports = 0
    h.dl.on('imported', () => {
      imports++
      if (imports === 2) h.dl.cancel()
    })
    const failed: string[] = []
    h.dl.on('syncFailed', (e) => failed.push(e.error.code))
    const err = await h.clock.run(h.dl.synchronise('a', main.head.hash)).catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrCancelled')).toBe(true)
    expect(failed).toEqual(['ErrCancelled'])
    expect(h.dl.synchronising).toBe(false)
    expect(h.clock.pending).toBe(0)
    const reached = h.chain.currentBlock().number
    expect(reached).toBeGreaterThan(0n)
    expect(reached).toBeLessThan(3000n)
    // Peers are still there; a new sync picks up from our head.
    const result = await h.clock.run(h.dl.synchronise('b', main.head.hash))
    expect(result.ancestor).toBeGreaterThanOrEqual(reached - 16n)
    expectCanonical(h.chain, main, 3000)
  })

  it('cancels through the AbortSignal', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 50 })
    const ac = new AbortController()
    h.dl.on('imported', () => ac.abort())
    const err = await h.clock
      .run(h.dl.synchronise('a', main.head.hash, undefined, ac.signal))
      .catch((e: unknown) => e)
    expect(isDownloaderError(err, 'ErrCancelled')).toBe(true)
    expect(h.clock.pending).toBe(0)
  })

  it('refuses a second sync while busy, an unknown peer, and anything after stop', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks.slice(0, 600), latencyMs: 20 })
    const first = h.dl.synchronise('a', main.blocks[600]!.hash)
    await expect(h.dl.synchronise('a', main.blocks[600]!.hash)).rejects.toMatchObject({
      code: 'ErrBusy',
    })
    await expect(
      h.clock.run(h.dl.synchronise('zz', main.head.hash)).catch((e) => e),
    ).resolves.toMatchObject({
      code: 'ErrBusy',
    })
    const t = h.dl.stop()
    await expect(h.clock.run(first)).rejects.toMatchObject({ code: 'ErrTerminated' })
    await t
    await expect(h.dl.synchronise('a', main.head.hash)).rejects.toMatchObject({
      code: 'ErrTerminated',
    })
    expect(h.clock.pending).toBe(0)
    expect(() => h.dl.registerPeer(h.peers.get('a')!)).toThrow(DownloaderError)
  })

  it('terminate() is the deprecated name of stop(); start() resolves at once', async () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks.slice(0, 200), latencyMs: 20 })
    await h.dl.start()
    const first = h.dl.synchronise('a', main.blocks[199]!.hash)
    const t = h.dl.terminate()
    await expect(h.clock.run(first)).rejects.toMatchObject({ code: 'ErrTerminated' })
    await t
    await expect(h.dl.synchronise('a', main.head.hash)).rejects.toMatchObject({
      code: 'ErrTerminated',
    })
    await h.dl.stop() // idempotent
    expect(h.clock.pending).toBe(0)
  })

  it('a throwing event listener goes to onListenerError and does not break the sync', async () => {
    const errors: Array<[unknown, string]> = []
    const h = harness(main, 0, {}, {}, { onListenerError: (e, ev) => errors.push([e, String(ev)]) })
    const a = h.addPeer({ id: 'a', blocks: main.blocks.slice(0, 101), latencyMs: 5 })
    const boom = new Error('listener bug')
    h.dl.on('syncStarted', () => {
      throw boom
    })
    const done: number[] = []
    h.dl.on('syncDone', ({ result }) => done.push(result.imported))
    const result = await h.clock.run(h.dl.synchronise('a', a.head().hash, a.head().td))
    expect(result.imported).toBe(100)
    expect(done).toEqual([100])
    expect(errors).toEqual([[boom, 'syncStarted']])
  })

  it('rejects an unknown master peer with ErrNoPeers', async () => {
    const h = harness(main, 0)
    await expect(h.dl.synchronise('nobody', main.head.hash)).rejects.toMatchObject({
      code: 'ErrNoPeers',
    })
  })

  it('keeps results waiting for import bounded in count and memory while importing slowly', async () => {
    const limits = { maxPendingResults: 400, maxPendingResultBytes: 20_000, maxImportBatch: 100 }
    const h = harness(main, 0, limits, { insertDelayMs: 300 })
    h.addPeer({ id: 'a', blocks: main.blocks, latencyMs: 10 })
    h.addPeer({ id: 'b', blocks: main.blocks, latencyMs: 10 })
    let maxResults = 0
    let maxBytes = 0
    let samples = 0
    h.chain.onInsert = (blocks) => {
      const p = h.dl.progress()
      maxResults = Math.max(maxResults, p.pendingResults)
      maxBytes = Math.max(maxBytes, p.pendingResultBytes)
      samples++
      expect(blocks.length).toBeLessThanOrEqual(100)
    }
    const result = await h.clock.run(h.dl.synchronise('a', main.head.hash))
    expect(result.imported).toBe(3000)
    expect(samples).toBeGreaterThanOrEqual(30)
    expect(maxResults).toBeLessThanOrEqual(400)
    // Soft bound: new requests stop once the bound is reached; one answer may overshoot it.
    expect(maxBytes).toBeLessThanOrEqual(20_000 + 128 * 400)
    expect(maxResults).toBeGreaterThan(100) // fetching did run ahead of the import (pipelined)
  })

  it('leaves a registered peer list that tracks register/unregister', () => {
    const h = harness(main, 0)
    h.addPeer({ id: 'a', blocks: main.blocks })
    h.addPeer({ id: 'b', blocks: main.blocks })
    h.dl.unregisterPeer('a')
    h.dl.unregisterPeer('zz')
    expect(h.dl.peerIds()).toEqual(['b'])
    expect(bytesToHex(h.peers.get('b')!.head().hash)).toBe(bytesToHex(main.head.hash))
  })
})
