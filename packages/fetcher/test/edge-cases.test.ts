import { errorCode } from '@ethwire/interface/runtime'
import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex } from '@ethwire/rlp-wire'
import { genTransaction, Rand } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import { createBlockFetcher, createTxFetcher } from '../src/index.js'
import { child, hex, makeChain, TestNode, TestPeer } from './helpers.js'

describe('block fetcher edge cases', () => {
  it('does not request a header for a block the chain already has', async () => {
    const chain = makeChain(3)
    const node = new TestNode(chain)
    const f = createBlockFetcher(node.deps())
    f.start()
    const p = new TestPeer('a')
    expect(f.notify(p.announce(chain[3]!))).toBe('accepted')
    await node.clock.advance(1_000)
    expect(p.headerRequests).toEqual([])
    expect(f.state(chain[3]!.hash)).toBeUndefined()
    f.stop()
  })

  it('treats a rejected header request like a timeout and asks the other announcer at once', async () => {
    const chain = makeChain(1)
    const node = new TestNode(chain)
    const f = createBlockFetcher(node.deps())
    f.start()
    const b = child(chain[1]!, 1)
    const asked: string[] = []
    for (const id of ['a', 'c']) {
      f.notify({
        peerId: id,
        hash: b.hash,
        number: b.header.number,
        fetchHeader: async () => {
          asked.push(id)
          if (asked.length === 1) throw new Error('send failed')
        },
        fetchBodies: () => {},
      })
    }
    await node.clock.advance(400)
    expect(asked).toHaveLength(2)
    expect(new Set(asked)).toEqual(new Set(['a', 'c']))
    expect(f.state(b.hash)).toBe('fetching')
    f.stop()
  })

  it('answers "duplicate" for a block already queued by another peer and counts it once', async () => {
    const chain = makeChain(1)
    const node = new TestNode(chain)
    node.head = 1n
    const f = createBlockFetcher(node.deps(), { blockLimit: 1 })
    f.start()
    const far = child(child(chain[1]!, 0), 0) // number 3: waits for 2
    expect(f.enqueue('a', far)).toBe('queued')
    expect(f.enqueue('b', far)).toBe('duplicate')
    expect(f.enqueue('a', child(chain[1]!, 0))).toBe('limit')
    expect(f.stats().queued).toBe(1)
    f.stop()
  })

  it('a whole block arriving while its body is being fetched wins; the late body goes to the downloader', async () => {
    const chain = makeChain(1)
    const node = new TestNode(chain)
    const f = createBlockFetcher(node.deps())
    f.start()
    const b = child(chain[1]!, 1)
    const p = new TestPeer('a')
    f.notify(p.announce(b))
    await node.clock.advance(400)
    f.filterHeaders('a', [b.header])
    await node.clock.advance(100)
    expect(p.bodyRequests).toEqual([[hex(b)]])
    f.enqueue('b', b)
    await f.idle()
    expect(f.filterBodies('a', [b.body()])).toEqual([b.body()])
    expect(node.inserted.map(hex)).toEqual([hex(b)])
    f.stop()
  })
})

describe('tx fetcher edge cases', () => {
  it('a failed send counts as an empty answer: the hashes go to the other announcer', async () => {
    const clock = new FakeClock()
    const sent: string[] = []
    const r = new Rand(11)
    const txs = [genTransaction(r, 2), genTransaction(r, 1)]
    const f = createTxFetcher({
      hasTx: () => false,
      requestTxs: async (peerId) => {
        sent.push(peerId)
        if (sent.length === 1) throw new Error('closed')
      },
      addTxs: () => {},
      penalize: () => {},
      clock,
    })
    f.start()
    f.notify(
      'a',
      txs.map((t) => t.hash),
    )
    f.notify(
      'b',
      txs.map((t) => t.hash),
    )
    await clock.advance(500)
    expect(sent).toHaveLength(2)
    expect(new Set(sent)).toEqual(new Set(['a', 'b']))
    expect(f.stats().fetching).toBe(2)
    f.stop()
    expect(clock.pending).toBe(0)
  })

  it('a transaction repeated in one answer is passed on once and the peer penalized', async () => {
    const clock = new FakeClock()
    const added: string[] = []
    const penalties: string[] = []
    const tx = genTransaction(new Rand(12), 2)
    const f = createTxFetcher({
      hasTx: () => false,
      requestTxs: () => {},
      addTxs: (txs) => {
        for (const t of txs) added.push(bytesToHex(t.hash))
      },
      // go-ethereum drops a peer that sends "multiple copies of the same hash"
      penalize: (_p, err) => penalties.push(errorCode(err) ?? err.message),
      clock,
    })
    f.start()
    f.notify('a', [tx.hash])
    await clock.advance(500)
    expect(f.enqueue('a', [tx, tx, tx], true)).toHaveLength(1)
    await clock.advance(0)
    expect(added).toEqual([bytesToHex(tx.hash)])
    expect(penalties).toEqual(['ErrDuplicateTx'])
    f.stop()
  })
})
