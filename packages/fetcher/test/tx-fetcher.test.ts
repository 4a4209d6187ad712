import { errorCode } from '@ethwire/interface/runtime'
import { FakeClock, flush, seededRandom } from '@ethwire/interface/testing'
import { bytesToHex, type Transaction } from '@ethwire/rlp-wire'
import { genBlobTxWithSidecar, genTransaction, Rand } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import { createTxFetcher, type TxFetcherOptions, txNetworkSize } from '../src/index.js'

function txs(n: number, seed = 1, type?: 0 | 1 | 2): Transaction[] {
  const r = new Rand(seed)
  const out: Transaction[] = []
  for (let i = 0; i < n; i++) out.push(genTransaction(r, type ?? ((i % 3) as 0 | 1 | 2)))
  return out
}

function setup(opts: TxFetcherOptions = {}) {
  const clock = new FakeClock(5_000)
  const pool = new Set<string>()
  const requests: { peerId: string; hashes: string[] }[] = []
  /** The signal passed with each request, by peer, in order. */
  const signals: { peerId: string; signal: AbortSignal }[] = []
  const added: { peerId: string; hashes: string[] }[] = []
  const penalties: { peerId: string; code: string }[] = []
  const fetcher = createTxFetcher(
    {
      hasTx: (h) => pool.has(bytesToHex(h)),
      requestTxs: (peerId, hashes, signal) => {
        requests.push({ peerId, hashes: hashes.map(bytesToHex) })
        signals.push({ peerId, signal })
      },
      addTxs: (list, peerId) => {
        for (const t of list) pool.add(bytesToHex(t.hash))
        added.push({ peerId, hashes: list.map((t) => bytesToHex(t.hash)) })
      },
      penalize: (peerId, err) => penalties.push({ peerId, code: errorCode(err) ?? err.message }),
      clock,
      random: seededRandom(3),
    },
    opts,
  )
  fetcher.start()
  return { clock, pool, requests, signals, added, penalties, fetcher }
}

const hashes = (list: Transaction[]) => list.map((t) => t.hash)
const hexes = (list: Transaction[]) => list.map((t) => bytesToHex(t.hash))
const meta = (list: Transaction[]) => [list.map((t) => t.type), list.map(txNetworkSize)] as const

describe('tx fetcher', () => {
  it('waits for arriveTimeout, requests from the announcer and hands the delivery to the pool', async () => {
    const s = setup()
    const list = txs(3)
    expect(s.fetcher.notify('a', hashes(list), ...meta(list))).toEqual({
      accepted: 3,
      known: 0,
      overflow: 0,
    })
    await s.clock.advance(499)
    expect(s.requests).toEqual([])
    await s.clock.advance(1)
    expect(s.requests).toEqual([{ peerId: 'a', hashes: hexes(list) }])
    expect(s.fetcher.stats()).toEqual({ waiting: 0, queued: 0, fetching: 3, requests: 1 })
    expect(s.fetcher.enqueue('a', list, true)).toHaveLength(3)
    await s.clock.advance(0)
    expect(s.added).toEqual([{ peerId: 'a', hashes: hexes(list) }])
    expect(s.penalties).toEqual([])
    expect(s.fetcher.stats()).toEqual({ waiting: 0, queued: 0, fetching: 0, requests: 0 })
    s.fetcher.stop()
    expect(s.clock.pending).toBe(0)
  })

  it('skips hashes the pool has and re-announcements by the same peer', async () => {
    const s = setup()
    const list = txs(4)
    s.pool.add(bytesToHex(list[0]!.hash))
    expect(s.fetcher.notify('a', hashes(list))).toEqual({ accepted: 3, known: 1, overflow: 0 })
    expect(s.fetcher.notify('a', hashes(list))).toEqual({ accepted: 0, known: 4, overflow: 0 })
    await s.clock.advance(500)
    expect(s.requests).toEqual([{ peerId: 'a', hashes: hexes(list.slice(1)) }])
    s.fetcher.stop()
  })

  it('does not fetch what arrives by broadcast during the wait', async () => {
    const s = setup()
    const list = txs(2)
    s.fetcher.notify('a', hashes(list))
    s.fetcher.enqueue('b', [list[0]!], false)
    await s.clock.advance(500)
    expect(s.requests).toEqual([{ peerId: 'a', hashes: hexes(list.slice(1)) }])
    s.fetcher.stop()
  })

  it('asks one announcer per hash and another one after a timeout', async () => {
    const s = setup()
    const list = txs(2)
    s.fetcher.notify('a', hashes(list))
    s.fetcher.notify('b', hashes(list))
    await s.clock.advance(500)
    expect(s.requests).toHaveLength(1)
    const first = s.requests[0]!.peerId
    const second = first === 'a' ? 'b' : 'a'
    expect(s.requests[0]!.hashes).toEqual(hexes(list))
    await s.clock.advance(4_999)
    expect(s.requests).toHaveLength(1)
    await s.clock.advance(1)
    expect(s.requests[1]).toEqual({ peerId: second, hashes: hexes(list) })
    s.fetcher.enqueue(second, list, true)
    // the first peer answers late: not a violation, nothing is fetched again
    expect(s.fetcher.enqueue(first, list, true)).toHaveLength(2)
    expect(s.penalties).toEqual([])
    await s.clock.advance(10_000)
    expect(s.requests).toHaveLength(2)
    s.fetcher.stop()
  })

  it('owns its request timeouts: the signal stays open past the fetch timeout (the peer stays busy) and aborts once the answer is not wanted', async () => {
    const s = setup()
    const list = txs(2)
    s.fetcher.notify('a', hashes(list))
    await s.clock.advance(500)
    const first = s.signals[0]!.signal
    await s.clock.advance(5_000 + 60_000)
    // Timed out for the fetcher (its hashes may go elsewhere), but a late answer is still taken.
    expect(first.aborted).toBe(false)
    expect(s.fetcher.enqueue('a', list, true)).toHaveLength(2)
    expect(first.aborted).toBe(true)
    s.fetcher.notify('b', hashes(txs(1, 2)))
    s.fetcher.notify('c', hashes(txs(1, 3)))
    await s.clock.advance(500)
    const [b, c] = ['b', 'c'].map((id) => s.signals.find((x) => x.peerId === id)!.signal)
    s.fetcher.removePeer('b')
    expect(b?.aborted).toBe(true)
    expect(c?.aborted).toBe(false)
    s.fetcher.stop()
    expect(c?.aborted).toBe(true)
  })

  it('moves hashes a peer did not deliver to another announcer at once', async () => {
    const s = setup()
    const list = txs(3)
    s.fetcher.notify('a', hashes(list))
    await s.clock.advance(100)
    s.fetcher.notify('b', hashes(list))
    await s.clock.advance(400)
    // both announced all three by now: one of them is asked for all, the other stays idle
    expect(s.requests).toHaveLength(1)
    const first = s.requests[0]!.peerId
    const second = first === 'a' ? 'b' : 'a'
    expect(s.requests[0]!.hashes).toEqual(hexes(list))
    s.fetcher.enqueue(first, [list[1]!], true)
    expect(s.requests[1]).toEqual({ peerId: second, hashes: hexes([list[0]!, list[2]!]) })
    s.fetcher.stop()
  })

  it('forgets a hash when no announcer delivers it', async () => {
    const s = setup()
    const list = txs(1)
    s.fetcher.notify('a', hashes(list))
    await s.clock.advance(500 + 5_000)
    expect(s.fetcher.has(list[0]!.hash)).toBe(false)
    expect(s.fetcher.stats().requests).toBe(1) // the timed-out peer stays busy until it answers
    s.fetcher.enqueue('a', [], true)
    expect(s.fetcher.stats()).toEqual({ waiting: 0, queued: 0, fetching: 0, requests: 0 })
    s.fetcher.stop()
  })

  it('caps a request at 256 hashes and asks for the rest when it is answered', async () => {
    const s = setup()
    const list = txs(300, 2, 0)
    s.fetcher.notify('a', hashes(list))
    await s.clock.advance(500)
    expect(s.requests).toHaveLength(1)
    expect(s.requests[0]!.hashes).toHaveLength(256)
    s.fetcher.enqueue('a', list.slice(0, 256), true)
    expect(s.requests).toHaveLength(2)
    expect(s.requests[1]!.hashes).toEqual(hexes(list.slice(256)))
    s.fetcher.stop()
  })

  it('caps a request at 128 KiB of announced sizes', async () => {
    const s = setup()
    const list = txs(3, 3, 0)
    s.fetcher.notify('a', hashes(list), [0, 0, 0], [60_000, 60_000, 60_000])
    await s.clock.advance(500)
    expect(s.requests.map((r) => r.hashes.length)).toEqual([2])
    s.fetcher.enqueue('a', [], true)
    expect(s.requests.map((r) => r.hashes.length)).toEqual([2, 1])
    s.fetcher.stop()
  })

  it('tracks at most maxAnnounces hashes per peer', () => {
    const s = setup()
    const list = txs(4_100, 4, 0)
    expect(s.fetcher.notify('a', hashes(list))).toEqual({ accepted: 4_096, known: 0, overflow: 4 })
    expect(s.fetcher.notify('b', hashes(list.slice(4_096)))).toEqual({
      accepted: 4,
      known: 0,
      overflow: 0,
    })
    s.fetcher.stop()
  })

  it('penalizes unrequested transactions and does not pass them on', async () => {
    const s = setup()
    const list = txs(2)
    s.fetcher.notify('a', hashes([list[0]!]))
    await s.clock.advance(500)
    expect(s.fetcher.enqueue('a', list, true).map((t) => bytesToHex(t.hash))).toEqual(
      hexes([list[0]!]),
    )
    expect(s.penalties).toEqual([{ peerId: 'a', code: 'ErrUnrequestedTx' }])
    // a direct answer from a peer we never asked at all
    s.fetcher.enqueue('c', [list[1]!], true)
    expect(s.penalties).toEqual([
      { peerId: 'a', code: 'ErrUnrequestedTx' },
      { peerId: 'c', code: 'ErrUnrequestedTx' },
    ])
    await s.clock.advance(0)
    expect(s.added).toEqual([{ peerId: 'a', hashes: hexes([list[0]!]) }])
    s.fetcher.stop()
  })

  it('penalizes a delivery whose type or size disagrees with the eth/68 announcement', async () => {
    const s = setup()
    const list = txs(3, 5, 2)
    const [types, sizes] = meta(list)
    const badTypes = [...types]
    badTypes[0] = 1
    const badSizes = [...sizes]
    badSizes[1] = sizes[1]! + 9 // beyond go-ethereum's 8 bytes of slack
    s.fetcher.notify('a', hashes(list), badTypes, badSizes)
    await s.clock.advance(500)
    const accepted = s.fetcher.enqueue('a', list, true)
    expect(accepted.map((t) => bytesToHex(t.hash))).toEqual(hexes([list[2]!]))
    expect(s.penalties).toEqual([
      { peerId: 'a', code: 'ErrTxTypeMismatch' },
      { peerId: 'a', code: 'ErrTxSizeMismatch' },
    ])
    s.fetcher.stop()
  })

  it('announced size of a blob transaction counts its sidecar', async () => {
    const s = setup()
    const blob = genBlobTxWithSidecar(new Rand(9))
    expect(txNetworkSize(blob)).toBeGreaterThan(blob.size)
    s.fetcher.notify('a', [blob.hash], [3], [txNetworkSize(blob)])
    await s.clock.advance(500)
    expect(s.fetcher.enqueue('a', [blob], true)).toHaveLength(1)
    expect(s.penalties).toEqual([])
    s.fetcher.stop()
  })

  it('removePeer hands its in-flight hashes to another announcer', async () => {
    const s = setup()
    const list = txs(2)
    s.fetcher.notify('a', hashes(list))
    s.fetcher.notify('b', hashes(list))
    await s.clock.advance(500)
    const first = s.requests[0]!.peerId
    s.fetcher.removePeer(first)
    expect(s.requests[1]).toEqual({ peerId: first === 'a' ? 'b' : 'a', hashes: hexes(list) })
    s.fetcher.stop()
  })

  it('leaves no timers after stop and ignores later input', async () => {
    const s = setup()
    s.fetcher.notify('a', hashes(txs(2)))
    s.fetcher.stop()
    expect(s.clock.pending).toBe(0)
    expect(s.fetcher.notify('a', hashes(txs(2, 8))).accepted).toBe(0)
    await s.clock.advance(10_000)
    expect(s.requests).toEqual([])
  })
})

describe('tx fetcher: a transaction still being added to the pool', () => {
  it('is not requested when announced while the pool add is pending', async () => {
    const clock = new FakeClock(5_000)
    const pool = new Set<string>()
    const requests: string[][] = []
    let release: () => void = () => {}
    const fetcher = createTxFetcher({
      hasTx: (h) => pool.has(bytesToHex(h)),
      requestTxs: (_peerId, hs) => {
        requests.push(hs.map(bytesToHex))
      },
      // the pool takes its time (sender recovery in a worker, a queue of inserts)
      addTxs: (list) =>
        new Promise<void>((resolve) => {
          release = () => {
            for (const t of list) pool.add(bytesToHex(t.hash))
            resolve()
          }
        }),
      penalize: () => {},
      clock,
      random: seededRandom(3),
    })
    fetcher.start()
    const list = txs(2, 9)
    expect(fetcher.enqueue('a', list, false)).toHaveLength(2) // a Transactions broadcast from a
    // b announces the same hashes before the pool has them
    expect(fetcher.notify('b', hashes(list), ...meta(list))).toEqual({
      accepted: 0,
      known: 2,
      overflow: 0,
    })
    await clock.advance(600)
    expect(requests).toEqual([])
    release()
    await flush()
    // once added, the pool answers for them
    expect(fetcher.notify('c', hashes(list), ...meta(list)).known).toBe(2)
    await clock.advance(600)
    expect(requests).toEqual([])
    fetcher.stop()
  })

  it('drops a waiting hash the pool got meanwhile instead of requesting it', async () => {
    const s = setup()
    const list = txs(2, 11)
    s.fetcher.notify('a', hashes(list), ...meta(list))
    s.pool.add(bytesToHex(list[0]!.hash)) // arrived some other way (a block, the RPC)
    await s.clock.advance(500)
    expect(s.requests).toEqual([{ peerId: 'a', hashes: [bytesToHex(list[1]!.hash)] }])
  })
})
