import { systemClock } from '@ethwire/interface/runtime'
import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex, receiptsRoot } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import type { DownloaderPeer } from '../src/index.js'
import {
  buildChain,
  checkDownloaderPeer,
  MemoryChain,
  MemoryStateStore,
  MemoryStateSync,
  sleep,
  TestPeer,
} from '../src/testing.js'

const data = buildChain({ length: 120, seed: 9 })

describe('buildChain', () => {
  it('links every block to its parent and mixes empty and non-empty bodies', () => {
    for (let n = 1; n < data.blocks.length; n++) {
      const b = data.blocks[n]!
      expect(b.header.number).toBe(BigInt(n))
      expect(bytesToHex(b.header.parentHash)).toBe(bytesToHex(data.blocks[n - 1]!.hash))
    }
    const withTxs = data.blocks.filter((b) => b.transactions.length > 0).length
    const withUncles = data.blocks.filter((b) => b.uncles.length > 0).length
    expect(withTxs).toBe(24)
    expect(withUncles).toBe(2)
    expect(data.tds[120]).toBe(121n)
  })

  it('builds forks that share the prefix and differ after it', () => {
    const fork = buildChain({ parent: data, forkAt: 60, length: 10, seed: 10 })
    expect(bytesToHex(fork.blocks[60]!.hash)).toBe(bytesToHex(data.blocks[60]!.hash))
    expect(bytesToHex(fork.blocks[61]!.hash)).not.toBe(bytesToHex(data.blocks[61]!.hash))
    expect(fork.head.header.number).toBe(70n)
  })
})

describe('MemoryChain', () => {
  it('imports in order, skips known blocks, rejects orphans, reorgs to the heavier chain', async () => {
    const chain = new MemoryChain(data.blocks.slice(0, 1))
    expect(await chain.insertChain(data.blocks.slice(1, 50))).toBe(49)
    expect(await chain.insertChain(data.blocks.slice(40, 60))).toBe(10)
    expect(chain.currentBlock().number).toBe(59n)
    await expect(chain.insertChain(data.blocks.slice(70, 71))).rejects.toMatchObject({
      code: 'ErrUnknownParent',
      index: 0,
    })
    const fork = buildChain({ parent: data, forkAt: 30, length: 40, seed: 11 })
    await chain.insertChain(fork.blocks.slice(31))
    expect(chain.currentBlock().number).toBe(70n)
    expect(bytesToHex(chain.getHeaderByNumber(31n)!.hash)).toBe(bytesToHex(fork.blocks[31]!.hash))
    expect(chain.hasBlock(data.blocks[50]!.hash)).toBe(true) // side chain kept
  })
})

describe('TestPeer', () => {
  it('serves headers by number and hash with skip and reverse, bodies in order', async () => {
    const clock = new FakeClock()
    const p = new TestPeer({ id: 'p', blocks: data.blocks, headNumber: 100, clock, latencyMs: 30 })
    const s = new AbortController().signal
    const hs = await clock.run(p.requestHeadersByNumber(10n, 5, 9, false, s))
    expect(hs.map((h) => h.number)).toEqual([10n, 20n, 30n, 40n, 50n])
    expect(clock.now()).toBe(30)
    const rev = await clock.run(p.requestHeadersByHash(data.blocks[5]!.hash, 10, 1, true, s))
    expect(rev.map((h) => h.number)).toEqual([5n, 3n, 1n])
    const beyond = await clock.run(p.requestHeadersByNumber(99n, 5, 0, false, s))
    expect(beyond.map((h) => h.number)).toEqual([99n, 100n])
    const bodies = await clock.run(
      p.requestBodies([data.blocks[5]!.hash, data.blocks[110]!.hash, data.blocks[6]!.hash], s),
    )
    expect(bodies).toHaveLength(1) // stops at the first block it does not have
    expect(p.requests.map((r) => r.kind)).toEqual([
      'headersByNumber',
      'headersByHash',
      'headersByNumber',
      'bodies',
    ])
  })

  it('honors abort, stalls, and disconnects after N requests', async () => {
    const clock = new FakeClock()
    let gone = ''
    const p = new TestPeer({
      id: 'p',
      blocks: data.blocks,
      clock,
      stall: (r) => r.index === 0,
      disconnectAfter: 2,
      onDisconnect: (id) => {
        gone = id
      },
    })
    const ac = new AbortController()
    const stalled = p.requestHeadersByNumber(1n, 1, 0, false, ac.signal)
    clock.setTimeout(() => ac.abort(new Error('ttl')), 5_000)
    await expect(clock.run(stalled)).rejects.toThrow('ttl')
    expect(clock.now()).toBe(5_000)
    await clock.run(sleep(clock, 10))
    expect(clock.pending).toBe(0)
    await clock.run(p.requestHeadersByNumber(1n, 1, 0, false, new AbortController().signal))
    await expect(p.requestBodies([], new AbortController().signal)).rejects.toThrow('disconnected')
    expect(gone).toBe('p')
  })
})

describe('checkDownloaderPeer', () => {
  it('passes a TestPeer on the real clock and catches a peer that ignores reverse', async () => {
    const good = new TestPeer({ id: 'g', blocks: data.blocks, clock: systemClock, latencyMs: 1 })
    expect(await checkDownloaderPeer(good, data.blocks)).toEqual([])
    const broken: DownloaderPeer = {
      ...good,
      id: 'b',
      head: () => good.head(),
      drop: () => {},
      requestHeadersByNumber: (o, a, s, r, sig) => good.requestHeadersByNumber(o, a, s, r, sig),
      requestHeadersByHash: (h, a, s, _r, sig) => good.requestHeadersByHash(h, a, s, false, sig),
      requestBodies: (h, sig) => good.requestBodies(h, sig),
    }
    const problems = await checkDownloaderPeer(broken, data.blocks)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^reverse by hash/)
  })
})

describe('fast-sync doubles', () => {
  const small = buildChain({
    length: 40,
    seed: 12,
    txEvery: 2,
    receipts: true,
    state: { accounts: 300 },
  })

  it('buildChain: receipts match the receipts roots; consecutive state roots share most nodes', () => {
    expect(small.receipts).toHaveLength(41)
    const withTxs = small.blocks.findIndex((b) => b.transactions.length > 0)
    expect(small.receipts![withTxs]).toHaveLength(small.blocks[withTxs]!.transactions.length)
    expect(bytesToHex(receiptsRoot(small.receipts![withTxs]!))).toBe(
      bytesToHex(small.blocks[withTxs]!.header.receiptRoot),
    )
    const s = small.state!
    const a = s.reachable(small.blocks[20]!.header.stateRoot)
    expect(a).toBeGreaterThan(300)
    // One account changed per block: a path of new nodes, nothing else.
    expect(s.nodes.size).toBeLessThan(a + 41 * 6)
  })

  it('MemoryStateSync: hands each hash out once, refuses a node that hashes to no asked key, commits a node only after its children', () => {
    const store = new MemoryStateStore()
    const root = small.blocks[40]!.header.stateRoot
    const sync = new MemoryStateSync(root, store)
    const first = sync.missing(10)
    expect(first.map(bytesToHex)).toEqual([bytesToHex(root)])
    expect(sync.missing(10)).toEqual([]) // handed out already
    const node = small.state!.nodes.get(bytesToHex(root))!
    const bad = node.slice()
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1
    const refused = sync.deliver('p', first, [bad])
    expect(refused.rejected?.code).toBe('ErrUnrequestedNode')
    expect(store.nodes.size).toBe(0)
    const again = sync.missing(10) // the refused delivery put it back
    expect(sync.deliver('p', again, [node])).toEqual({ accepted: 1, duplicates: 0 })
    expect(store.has(root)).toBe(false) // its children are missing: not committed yet
    expect(sync.done()).toBe(false)
    // Deliver everything asked for, round after round; one request is released (expired) once.
    let released = false
    for (let round = 0; round < 100 && !sync.done(); round++) {
      const hs = sync.missing(64)
      if (!released && hs.length > 1) {
        sync.release(hs)
        released = true
        continue
      }
      sync.deliver(
        'p',
        hs,
        hs.map((h) => small.state!.nodes.get(bytesToHex(h))!),
      )
    }
    expect(sync.done()).toBe(true)
    expect(store.complete(root)).toBe(true)
    expect(sync.progress()).toEqual({
      pulled: small.state!.reachable(root),
      known: small.state!.reachable(root),
    })
    // A later root shares the store: only what changed is missing.
    const next = new MemoryStateSync(small.blocks[39]!.header.stateRoot, store)
    expect(next.done()).toBe(false)
    let asked = 0
    while (!next.done()) {
      const hs = next.missing(64)
      asked += hs.length
      next.deliver(
        'p',
        hs,
        hs.map((h) => small.state!.nodes.get(bytesToHex(h))!),
      )
    }
    expect(asked).toBeLessThan(12)
  })

  it('MemoryChain with hasState: stores without executing, refuses a pivot without state, executes only on state', async () => {
    const store = new MemoryStateStore()
    const chain = new MemoryChain(small.blocks.slice(0, 1), { hasState: (r) => store.complete(r) })
    const rs = small.receipts!
    expect(await chain.insertReceiptChain!(small.blocks.slice(1, 31), rs.slice(1, 31))).toBe(30)
    expect(chain.currentBlock().number).toBe(0n)
    expect(chain.currentFastBlock!().number).toBe(30n)
    await expect(chain.insertChain(small.blocks.slice(31, 32))).rejects.toMatchObject({
      code: 'ErrMissingState',
    })
    await expect(chain.commitFastSyncHead!(small.blocks[30]!.hash, 30n)).rejects.toMatchObject({
      code: 'ErrMissingState',
    })
    const wrong = rs.slice(31, 33).reverse()
    await expect(
      chain.insertReceiptChain!(small.blocks.slice(31, 33), wrong),
    ).rejects.toMatchObject({ code: 'ErrInvalidReceipts' })
    for (const [k, v] of small.state!.nodes) store.nodes.set(k, v)
    await chain.commitFastSyncHead!(small.blocks[30]!.hash, 30n)
    expect(chain.currentBlock().number).toBe(30n)
    expect(await chain.insertChain(small.blocks.slice(31))).toBe(10)
    expect(chain.currentBlock().number).toBe(40n)
    expect(chain.hasStateOf(small.blocks[29]!.hash)).toBe(false)
  })
})
