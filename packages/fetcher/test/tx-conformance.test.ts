import { errorCode } from '@ethwire/interface/runtime'
import { FakeClock, flush, seededRandom } from '@ethwire/interface/testing'
/**
 * Every delivered transaction is checked against the announcements, as go-ethereum's tx fetcher
 * does (issue 16, "Transaction conformance"; cmd/devp2p/internal/ethtest TestBlobViolations,
 * TestBlobTxWithoutSidecar): extras, duplicates, broadcast blob transactions, a type or size other
 * than announced (by the sender or by any other announcer), and transactions the pool finds
 * malformed.
 */
import { bytesToHex, Transaction, type TxData } from '@ethwire/rlp-wire'
import { genBlobTxWithSidecar, genTransaction, Rand } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import { createTxFetcher, txNetworkSize } from '../src/index.js'

type Result = unknown

function setup(poolAnswer: (tx: Transaction) => Result = () => ({ ok: true })) {
  const clock = new FakeClock(1_000)
  const pool = new Set<string>()
  const requests: { peerId: string; hashes: string[] }[] = []
  const added: { peerId: string; hashes: string[] }[] = []
  const penalties: { peerId: string; code: string }[] = []
  const fetcher = createTxFetcher({
    hasTx: (h) => pool.has(bytesToHex(h)),
    requestTxs: (peerId, hashes) => {
      requests.push({ peerId, hashes: hashes.map(bytesToHex) })
    },
    addTxs: async (list, peerId) => {
      await Promise.resolve() // the pool answers asynchronously (recovery, KZG)
      added.push({ peerId, hashes: list.map((t) => bytesToHex(t.hash)) })
      return list.map((t) => {
        const r = poolAnswer(t)
        if ((r as { peerFault?: boolean }).peerFault !== true) pool.add(bytesToHex(t.hash))
        return r
      })
    },
    penalize: (peerId, err) => penalties.push({ peerId, code: errorCode(err) ?? err.message }),
    clock,
    random: seededRandom(5),
  })
  fetcher.start()
  return { clock, pool, requests, added, penalties, fetcher }
}

const txs = (n: number, seed: number, type: 0 | 1 | 2 = 2) => {
  const r = new Rand(seed)
  return Array.from({ length: n }, () => genTransaction(r, type))
}
const hx = (t: Transaction) => bytesToHex(t.hash)

describe('tx fetcher: deliveries against announcements', () => {
  it('extras in an answer are penalized once and never reach the pool', async () => {
    const s = setup()
    const [asked, ...extras] = txs(4, 1)
    s.fetcher.notify('a', [asked!.hash], [asked!.type], [txNetworkSize(asked!)])
    await s.clock.advance(500)
    expect(s.requests).toEqual([{ peerId: 'a', hashes: [hx(asked!)] }])
    const out = s.fetcher.enqueue('a', [...extras, asked!], true)
    expect(out.map(hx)).toEqual([hx(asked!)])
    await flush()
    expect(s.added).toEqual([{ peerId: 'a', hashes: [hx(asked!)] }])
    expect(s.penalties).toEqual([{ peerId: 'a', code: 'ErrUnrequestedTx' }])
    s.fetcher.stop()
  })

  it('a broadcast whose type disagrees with the same peer’s announcement is penalized', async () => {
    const s = setup()
    const [tx] = txs(1, 2)
    // announced as a legacy tx, then broadcast as what it is (type 2)
    s.fetcher.notify('a', [tx!.hash], [0], [txNetworkSize(tx!)])
    expect(s.fetcher.enqueue('a', [tx!], false)).toEqual([])
    await flush()
    expect(s.penalties).toEqual([{ peerId: 'a', code: 'ErrTxTypeMismatch' }])
    expect(s.added).toEqual([])
    s.fetcher.stop()
  })

  it('a broadcast whose size disagrees with the same peer’s announcement is penalized', async () => {
    const s = setup()
    const [tx] = txs(1, 3)
    s.fetcher.notify('a', [tx!.hash], [tx!.type], [txNetworkSize(tx!) + 100])
    expect(s.fetcher.enqueue('a', [tx!], false)).toEqual([])
    expect(s.penalties).toEqual([{ peerId: 'a', code: 'ErrTxSizeMismatch' }])
    s.fetcher.stop()
  })

  it('another peer whose announcement disagrees with the delivered tx is penalized, the sender is not', async () => {
    const s = setup()
    const [tx] = txs(1, 4)
    const size = txNetworkSize(tx!)
    s.fetcher.notify('good', [tx!.hash], [tx!.type], [size])
    s.fetcher.notify('wrongType', [tx!.hash], [1], [size])
    s.fetcher.notify('wrongSize', [tx!.hash], [tx!.type], [size + 9])
    s.fetcher.notify('slack', [tx!.hash], [tx!.type], [size + 8]) // within go-ethereum's slack
    s.fetcher.notify('noMeta', [tx!.hash]) // eth/67 announcement: nothing to compare
    // delivered by broadcast from a peer that never announced it
    expect(s.fetcher.enqueue('bcast', [tx!], false)).toHaveLength(1)
    expect(s.penalties).toEqual([]) // judged once the pool has the transaction
    await flush()
    expect(s.penalties.sort((x, y) => x.peerId.localeCompare(y.peerId))).toEqual([
      { peerId: 'wrongSize', code: 'ErrTxSizeMismatch' },
      { peerId: 'wrongType', code: 'ErrTxTypeMismatch' },
    ])
    s.fetcher.stop()
  })

  it('a requested tx delivered by its announcer settles the other announcers too', async () => {
    const s = setup()
    const [tx] = txs(1, 5)
    const size = txNetworkSize(tx!)
    s.fetcher.notify('a', [tx!.hash], [tx!.type], [size])
    await s.clock.advance(100)
    s.fetcher.notify('liar', [tx!.hash], [tx!.type], [size * 2])
    await s.clock.advance(400)
    expect(s.requests.map((r) => r.peerId)).toEqual(['a'])
    s.fetcher.enqueue('a', [tx!], true)
    await flush()
    expect(s.penalties).toEqual([{ peerId: 'liar', code: 'ErrTxSizeMismatch' }])
    s.fetcher.stop()
  })

  it('an answer that contradicts the asked peer’s announcement sends the hash to another announcer', async () => {
    const s = setup()
    const [tx] = txs(1, 9)
    s.fetcher.notify('liar', [tx!.hash], [1], [txNetworkSize(tx!)])
    await s.clock.advance(500)
    expect(s.requests).toEqual([{ peerId: 'liar', hashes: [hx(tx!)] }])
    s.fetcher.notify('honest', [tx!.hash], [tx!.type], [txNetworkSize(tx!)])
    expect(s.fetcher.enqueue('liar', [tx!], true)).toEqual([])
    expect(s.penalties).toEqual([{ peerId: 'liar', code: 'ErrTxTypeMismatch' }])
    expect(s.requests[1]).toEqual({ peerId: 'honest', hashes: [hx(tx!)] })
    s.fetcher.enqueue('honest', [tx!], true)
    await flush()
    expect(s.pool.has(hx(tx!))).toBe(true)
    expect(s.fetcher.stats()).toEqual({ waiting: 0, queued: 0, fetching: 0, requests: 0 })
    s.fetcher.stop()
  })

  it('a blob transaction in a Transactions broadcast is penalized and not added', async () => {
    const s = setup()
    const blob = genBlobTxWithSidecar(new Rand(6))
    expect(s.fetcher.enqueue('a', [blob], false)).toEqual([])
    await flush()
    expect(s.penalties).toEqual([{ peerId: 'a', code: 'ErrBroadcastBlobTx' }])
    expect(s.added).toEqual([])
    s.fetcher.stop()
  })
})

describe('tx fetcher: transactions the pool finds malformed', () => {
  // ethtest's testBadBlobTx: a bad peer announces a blob tx, is asked, and answers with the tx
  // without its sidecar; a good peer announced the full one meanwhile. The bad peer must be
  // dropped and the transaction fetched from the good one.
  it('penalizes the sender and fetches the transaction from another announcer', async () => {
    const full = genBlobTxWithSidecar(new Rand(7))
    const bare = Transaction.fromData(full.toData() as TxData) // same hash, no sidecar
    expect(hx(bare)).toBe(hx(full))
    const s = setup((t) =>
      t.type === 3 && t.sidecar === undefined
        ? {
            code: 'ErrBlobSidecarMissing',
            message: 'missing sidecar in blob transaction',
            peerFault: true,
          }
        : { ok: true },
    )
    s.fetcher.notify('bad', [bare.hash], [3], [txNetworkSize(bare)])
    await s.clock.advance(500)
    expect(s.requests).toEqual([{ peerId: 'bad', hashes: [hx(full)] }])
    s.fetcher.notify('good', [full.hash], [3], [txNetworkSize(full)])
    expect(s.fetcher.enqueue('bad', [bare], true)).toHaveLength(1)
    await flush()
    expect(s.penalties).toEqual([{ peerId: 'bad', code: 'ErrInvalidTx' }])
    // the good peer is asked at once, and its (larger) announced size is not held against it
    expect(s.requests[1]).toEqual({ peerId: 'good', hashes: [hx(full)] })
    s.fetcher.enqueue('good', [full], true)
    await flush()
    expect(s.penalties).toEqual([{ peerId: 'bad', code: 'ErrInvalidTx' }])
    expect(s.pool.has(hx(full))).toBe(true)
    expect(s.fetcher.stats()).toEqual({ waiting: 0, queued: 0, fetching: 0, requests: 0 })
    s.fetcher.stop()
  })

  it('only a malformed transaction counts against the peer, not an ordinary rejection', async () => {
    const list = txs(3, 8)
    const bad = hx(list[2]!)
    const s = setup((t) =>
      hx(t) === bad
        ? { code: 'ErrBlobHashMismatch', message: 'blob 0: computed hash …', peerFault: true }
        : { code: 'ErrUnderpriced', message: 'transaction underpriced' },
    )
    s.fetcher.notify(
      'a',
      list.map((t) => t.hash),
      list.map((t) => t.type),
      list.map(txNetworkSize),
    )
    await s.clock.advance(500)
    s.fetcher.enqueue('a', list, true)
    await flush()
    expect(s.penalties).toEqual([{ peerId: 'a', code: 'ErrInvalidTx' }])
    s.fetcher.stop()
  })
})
