import { bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import type { DownloaderPeer } from '../src/index.js'
import {
  buildChain,
  checkDownloaderPeer,
  createManualClock,
  MemoryChain,
  runVirtual,
  sleep,
  systemClock,
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
    const clock = createManualClock()
    const p = new TestPeer({ id: 'p', blocks: data.blocks, headNumber: 100, clock, latencyMs: 30 })
    const s = new AbortController().signal
    const hs = await runVirtual(clock, p.requestHeadersByNumber(10n, 5, 9, false, s))
    expect(hs.map((h) => h.number)).toEqual([10n, 20n, 30n, 40n, 50n])
    expect(clock.now()).toBe(30)
    const rev = await runVirtual(
      clock,
      p.requestHeadersByHash(data.blocks[5]!.hash, 10, 1, true, s),
    )
    expect(rev.map((h) => h.number)).toEqual([5n, 3n, 1n])
    const beyond = await runVirtual(clock, p.requestHeadersByNumber(99n, 5, 0, false, s))
    expect(beyond.map((h) => h.number)).toEqual([99n, 100n])
    const bodies = await runVirtual(
      clock,
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
    const clock = createManualClock()
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
    await expect(runVirtual(clock, stalled)).rejects.toThrow('ttl')
    expect(clock.now()).toBe(5_000)
    await runVirtual(clock, sleep(clock, 10))
    expect(clock.pendingTimers()).toBe(0)
    await runVirtual(clock, p.requestHeadersByNumber(1n, 1, 0, false, new AbortController().signal))
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
