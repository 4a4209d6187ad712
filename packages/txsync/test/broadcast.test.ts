import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import { Transaction } from '@ethwire/rlp-wire'
import { genTransaction, Rand } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import { createTxSync, maxAnnounceHashes } from '../src/index.js'
import { FakePeer, type FakeTx, fakeTx, flushMicrotasks } from '../src/testing.js'

const make = (opts = {}, onBroadcastError?: (p: unknown, e: unknown) => void) =>
  createTxSync<FakeTx>(
    {
      pending: () => [],
      clock: new FakeClock(),
      random: seededRandom(3),
      ...(onBroadcastError ? { onBroadcastError } : {}),
    },
    opts,
  )
const peersOf = (n: number, version: number, prefix = 'p') =>
  Array.from({ length: n }, (_, i) => new FakePeer(`${prefix}${i}`, version))
const fullCount = (ps: FakePeer[]) => ps.filter((p) => p.full.length > 0).length
const annCount = (ps: FakePeer[]) => ps.filter((p) => p.announced.length > 0).length

describe('broadcast', () => {
  it('eth/62–65: every peer gets the transaction in full', () => {
    for (const v of [62, 63, 64, 65]) {
      const s = make()
      const ps = peersOf(9, v)
      for (const p of ps) s.addPeer(p)
      expect(s.broadcast([fakeTx(1)])).toEqual({ direct: 9, announced: 0 })
      expect(fullCount(ps)).toBe(9)
      expect(annCount(ps)).toBe(0)
    }
  })

  for (const [n, direct] of [
    [9, 3],
    [16, 4],
    [10, 3],
    [1, 1],
    [2, 1],
  ] as const) {
    it(`eth/66+: ${n} peers → ${direct} in full, the rest by hash`, () => {
      const s = make()
      const ps = peersOf(n, 68)
      for (const p of ps) s.addPeer(p)
      expect(s.broadcast([fakeTx(1)])).toEqual({ direct, announced: n - direct })
      expect(fullCount(ps)).toBe(direct)
      expect(annCount(ps)).toBe(n - direct)
      for (const p of ps) expect(p.full.length + p.announced.length).toBe(1)
    })
  }

  it('only peers that do not know the transaction count, and all are marked afterwards', () => {
    const s = make()
    const ps = peersOf(13, 67)
    for (const p of ps.slice(0, 4)) p.markTransaction(fakeTx(1).hash)
    for (const p of ps) s.addPeer(p)
    expect(s.broadcast([fakeTx(1)])).toEqual({ direct: 3, announced: 6 })
    for (const p of ps.slice(0, 4)) expect(p.full.length + p.announced.length).toBe(0)
    for (const p of ps) expect(p.knowsTx(fakeTx(1).hash)).toBe(true)
    expect(s.broadcast([fakeTx(1)])).toEqual({ direct: 0, announced: 0 })
  })

  it('the direct subset is random per transaction: over many, every peer gets some in full', () => {
    const s = make()
    const ps = peersOf(9, 68)
    for (const p of ps) s.addPeer(p)
    const batch = Array.from({ length: 300 }, (_, i) => fakeTx(i))
    expect(s.broadcast(batch)).toEqual({ direct: 900, announced: 1800 })
    for (const p of ps) {
      const full = p.full.flat().length
      const ann = p.announced.flat().length
      expect(full + ann).toBe(300)
      expect(full).toBeGreaterThan(50) // expectation 100
      expect(full).toBeLessThan(150)
    }
    // one message per peer per kind for the batch (full ≤ 100 KiB, announcements ≤ 4096 hashes)
    for (const p of ps) expect(p.full.length).toBe(1)
  })

  it('mixed versions: legacy peers all in full, √ of the modern ones in full', () => {
    const s = make()
    const old = peersOf(3, 63, 'old')
    const modern = peersOf(4, 66, 'new')
    for (const p of [...old, ...modern]) s.addPeer(p)
    expect(s.broadcast([fakeTx(1)])).toEqual({ direct: 3 + 2, announced: 2 })
    expect(fullCount(old)).toBe(3)
  })

  it('blob transactions are only announced, never sent to peers that cannot take announcements', () => {
    const s = make()
    const old = peersOf(2, 65, 'old')
    const modern = peersOf(4, 68, 'new')
    for (const p of [...old, ...modern]) s.addPeer(p)
    const blob = fakeTx(7, 131_000, 3)
    expect(s.broadcast([blob])).toEqual({ direct: 0, announced: 4 })
    expect(fullCount(old) + annCount(old)).toBe(0)
    expect(
      modern.every((p) => p.announced[0]?.[0]?.type === 3 && p.announced[0]?.[0]?.size === 131_000),
    ).toBe(true)
  })

  it('policy: all, none, announceFromVersion and maxBroadcastSizeBytes', () => {
    const cases = [
      [{ direct: 'all' }, 68, { direct: 9, announced: 0 }],
      [{ direct: 'none' }, 68, { direct: 0, announced: 9 }],
      [{ announceFromVersion: 68 }, 67, { direct: 9, announced: 0 }],
      [{ announceFromVersion: 60 }, 65, { direct: 3, announced: 6 }], // clamped to 65
      [{ maxBroadcastSizeBytes: 50 }, 68, { direct: 0, announced: 9 }],
    ] as const
    for (const [policy, version, want] of cases) {
      const s = make({ policy })
      const ps = peersOf(9, version)
      for (const p of ps) s.addPeer(p)
      expect(s.broadcast([fakeTx(1, 100)]), JSON.stringify(policy)).toEqual(want)
    }
  })

  it('splits big batches: full messages ≤ pack size, announcements ≤ 4096 hashes', () => {
    const s = make({ policy: { direct: 'none' } })
    const p = new FakePeer('a', 68)
    const q = new FakePeer('b', 64)
    s.addPeer(p)
    s.addPeer(q)
    const batch = Array.from({ length: 5000 }, (_, i) => fakeTx(i, 1000))
    s.broadcast(batch)
    expect(p.announced.map((x) => x.length)).toEqual([maxAnnounceHashes, 5000 - maxAnnounceHashes])
    expect(q.full.map((x) => x.length)).toEqual(Array(49).fill(102).concat([2]))
    for (const m of q.full) expect(m.length * 1000).toBeLessThanOrEqual(100 * 1024)
  })

  it('a failing send is reported, not thrown', async () => {
    const errs: string[] = []
    const s = make({}, (p) => errs.push((p as FakePeer).id))
    const p = new FakePeer('bad', 63, 'fail')
    s.addPeer(p)
    s.broadcast([fakeTx(1)])
    await flushMicrotasks()
    expect(errs).toEqual(['bad'])
  })

  it('works with rlp-wire transactions as they are', () => {
    const r = new Rand(5)
    const txs = Array.from({ length: 5 }, () => genTransaction(r, 2))
    const s = createTxSync<Transaction>({
      pending: () => txs,
      clock: new FakeClock(),
      random: seededRandom(1),
    })
    const p = new FakePeer<Transaction>('a', 68)
    s.addPeer(p)
    expect(s.broadcast(txs)).toEqual({ direct: 5, announced: 0 })
    expect(p.full[0]?.[0]).toBeInstanceOf(Transaction)
  })
})
