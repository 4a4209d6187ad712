import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import { describe, expect, it } from 'vitest'
import { createTxSync, isTxSyncError, type TxSyncError, txsyncPackSizeBytes } from '../src/index.js'
import { FakePeer, type FakeTx, fakeTx, flushMicrotasks } from '../src/testing.js'

const txs = (n: number, size: number, from = 0) =>
  Array.from({ length: n }, (_, i) => fakeTx(from + i, size))
const bytes = (pack: FakeTx[]) => pack.reduce((s, t) => s + t.size, 0)
const heldTotal = (ps: FakePeer[]) => ps.reduce((s, p) => s + p.held, 0)

describe('initial sync', () => {
  it('sends all pending transactions in packs of at most 100 KiB, in order', async () => {
    const pending = [...txs(50, 5000), fakeTx(999, 150 * 1024), ...txs(3, 10, 100)]
    const sync = createTxSync<FakeTx>({ pending: () => pending, clock: new FakeClock() })
    sync.start()
    const p = new FakePeer('a', 66)
    sync.addPeer(p)
    await flushMicrotasks()
    expect(p.full.flat().map((t) => t.index)).toEqual(pending.map((t) => t.index))
    for (const pack of p.full) {
      // a transaction bigger than a pack goes alone
      if (pack.length > 1) expect(bytes(pack)).toBeLessThanOrEqual(txsyncPackSizeBytes)
    }
    expect(p.full.map((x) => x.length)).toEqual([20, 20, 10, 1, 3])
    expect(sync.scheduled()).toEqual([])
  })

  it('skips transactions the peer already knows and never sends blob transactions in full', async () => {
    const pending = [fakeTx(1), fakeTx(2), fakeTx(3, 100, 3), fakeTx(4)]
    const sync = createTxSync<FakeTx>({ pending: () => pending, clock: new FakeClock() })
    sync.start()
    const p = new FakePeer('a', 68)
    p.markTransaction(fakeTx(2).hash)
    sync.addPeer(p)
    await flushMicrotasks()
    expect(p.full.flat().map((t) => t.index)).toEqual([1, 4])
  })

  it("initialSync 'announce': a peer that takes announcements gets the pending hashes (blob ones too)", async () => {
    const pending = [...txs(5000, 100), fakeTx(9_000, 100, 3)]
    const sync = createTxSync<FakeTx>(
      { pending: () => pending, clock: new FakeClock() },
      { policy: { initialSync: 'announce' } },
    )
    sync.start()
    const p = new FakePeer('a', 68)
    p.markTransaction(pending[1]!.hash)
    sync.addPeer(p)
    for (let i = 0; i < 3; i++) await flushMicrotasks()
    expect(p.full).toEqual([])
    expect(p.announced.map((x) => x.length)).toEqual([4096, 904])
    expect(p.announced.flat().map((t) => t.index)).toEqual(
      pending.filter((_, i) => i !== 1).map((t) => t.index),
    )
    // with policy 'all' (no announcements) the same peer gets full packs
    const all = createTxSync<FakeTx>(
      { pending: () => pending.slice(0, 3), clock: new FakeClock() },
      { policy: { direct: 'all', initialSync: 'announce' } },
    )
    all.start()
    const q = new FakePeer('q', 68)
    all.addPeer(q)
    await flushMicrotasks()
    expect(q.full.flat()).toHaveLength(3)
    expect(q.announced).toEqual([])
  })

  it('one pack in flight across all peers', async () => {
    const clock = new FakeClock()
    const sync = createTxSync<FakeTx>({
      pending: () => txs(60, 5000),
      clock,
      random: seededRandom(7),
    })
    sync.start()
    const peers = ['a', 'b', 'c', 'd'].map((id) => new FakePeer(id, 66, 'hold'))
    for (const p of peers) sync.addPeer(p)
    let packs = 0
    while (heldTotal(peers) > 0) {
      expect(heldTotal(peers)).toBe(1)
      const busy = peers.find((p) => p.held === 1) as FakePeer
      expect(sync.inFlight()).toBe(busy.id)
      busy.release()
      await flushMicrotasks()
      packs++
    }
    expect(packs).toBe(4 * 3) // 60 × 5000 B = 3 packs per peer
    for (const p of peers) expect(p.full.flat()).toHaveLength(60)
    expect(clock.pending).toBe(0)
  })

  it('picks the next peer at random (the random source decides)', async () => {
    const order = async (seed: number) => {
      const sync = createTxSync<FakeTx>({
        pending: () => txs(1, 100),
        clock: new FakeClock(),
        random: seededRandom(seed),
      })
      const peers = Array.from({ length: 8 }, (_, i) => new FakePeer(`p${i}`, 66, 'hold'))
      for (const p of peers) sync.addPeer(p) // not started: all scheduled, none in flight
      sync.start()
      const seq: string[] = []
      while (heldTotal(peers) > 0) {
        const busy = peers.find((p) => p.held === 1) as FakePeer
        seq.push(busy.id)
        busy.release()
        await flushMicrotasks()
      }
      return seq
    }
    const a = await order(1)
    const b = await order(2)
    expect([...a].sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'])
    expect([...b].sort()).toEqual([...a].sort())
    expect(a).not.toEqual(b)
    expect(await order(1)).toEqual(a) // deterministic for a seed

    // scripted: 0.99 picks the last scheduled peer, 0 the first
    const script = [0.99, 0]
    const sync = createTxSync<FakeTx>({
      pending: () => txs(1, 100),
      clock: new FakeClock(),
      random: () => script.shift() ?? 0,
    })
    const ps = ['x', 'y', 'z'].map((id) => new FakePeer(id, 66, 'hold'))
    for (const p of ps) sync.addPeer(p)
    sync.start()
    expect(sync.inFlight()).toBe('z')
    ps[2]?.release()
    await flushMicrotasks()
    expect(sync.inFlight()).toBe('x')
  })

  it('a peer whose send fails is dropped from the schedule; the others go on', async () => {
    const failed: TxSyncError[] = []
    const sync = createTxSync<FakeTx>({
      pending: () => txs(40, 5000),
      clock: new FakeClock(),
      random: () => 0,
      onPeerFailed: (_p, err) => failed.push(err),
    })
    const bad = new FakePeer('bad', 66, 'fail')
    const good = new FakePeer('good', 66)
    sync.addPeer(bad)
    sync.addPeer(good)
    sync.start()
    await flushMicrotasks()
    expect(bad.full).toHaveLength(1) // one attempt, then dropped
    expect(good.full.flat()).toHaveLength(40)
    expect(failed).toHaveLength(1)
    expect(isTxSyncError(failed[0], 'ErrSendFailed')).toBe(true)
    expect(sync.scheduled()).toEqual([])
  })

  it('a pack not delivered in time fails its peer; a late delivery changes nothing', async () => {
    const clock = new FakeClock()
    const failed: string[] = []
    const sync = createTxSync<FakeTx>(
      {
        pending: () => txs(40, 5000),
        clock,
        random: () => 0,
        onPeerFailed: (p, e) => failed.push(`${p.id}:${e.code}`),
      },
      { packTimeoutMs: 1000 },
    )
    const slow = new FakePeer('slow', 66, 'hold')
    const fast = new FakePeer('fast', 66, 'hold')
    sync.addPeer(slow)
    sync.addPeer(fast)
    sync.start()
    expect(sync.inFlight()).toBe('slow')
    clock.tick(999)
    expect(failed).toEqual([])
    clock.tick(1)
    expect(failed).toEqual(['slow:ErrPackTimeout'])
    expect(sync.inFlight()).toBe('fast')
    slow.release()
    await flushMicrotasks()
    expect(sync.inFlight()).toBe('fast')
    expect(sync.scheduled()).toEqual(['fast'])
    fast.release()
    await flushMicrotasks()
    fast.release()
    await flushMicrotasks()
    expect(fast.full.flat()).toHaveLength(40)
    expect(slow.full).toHaveLength(1)
  })

  it('removePeer and stop drop the schedule and leave no timers', async () => {
    const clock = new FakeClock()
    const sync = createTxSync<FakeTx>({ pending: () => txs(40, 5000), clock, random: () => 0 })
    const a = new FakePeer('a', 66, 'hold')
    const b = new FakePeer('b', 66, 'hold')
    sync.start()
    sync.addPeer(a)
    sync.addPeer(b)
    sync.removePeer('b')
    expect(sync.scheduled()).toEqual(['a'])
    expect(clock.pending).toBe(1)
    sync.stop()
    expect(clock.pending).toBe(0)
    expect(sync.inFlight()).toBeUndefined()
    a.release()
    await flushMicrotasks()
    expect(a.full).toHaveLength(1)
    expect(b.full).toHaveLength(0)
  })
})
