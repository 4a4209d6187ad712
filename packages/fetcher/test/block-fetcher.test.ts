import { describe, expect, it } from 'vitest'
import { createBlockFetcher } from '../src/index.js'
import { bodyOf, child, hex, makeChain, orphan, TestNode, TestPeer } from './helpers.js'

function setup(chainLen = 0, opts = {}) {
  const chain = makeChain(chainLen)
  const node = new TestNode(chain)
  const fetcher = createBlockFetcher(node.deps(), opts)
  fetcher.start()
  return { chain, node, fetcher, clock: node.clock, head: chain[chain.length - 1]! }
}

describe('block fetcher: announce → header → body → import', () => {
  it('fetches the header after arriveTimeout - gatherSlack, the body after gatherSlack, then imports and broadcasts', async () => {
    const { node, fetcher, clock, head } = setup(2)
    const b = child(head, 2)
    const p = new TestPeer('a')
    expect(fetcher.notify(p.announce(b))).toBe('accepted')
    expect(fetcher.state(b.hash)).toBe('announced')
    await clock.advance(399)
    expect(p.headerRequests).toEqual([])
    await clock.advance(1)
    expect(p.headerRequests).toEqual([hex(b)])
    expect(fetcher.state(b.hash)).toBe('fetching')

    expect(fetcher.filterHeaders('a', [b.header])).toEqual([])
    await clock.advance(0)
    expect(fetcher.state(b.hash)).toBe('fetched')
    expect(node.verified).toEqual([3n]) // checked before the body is asked for
    await clock.advance(99)
    expect(p.bodyRequests).toEqual([])
    await clock.advance(1)
    expect(p.bodyRequests).toEqual([[hex(b)]])
    expect(fetcher.state(b.hash)).toBe('completing')

    expect(fetcher.filterBodies('a', [bodyOf(b)])).toEqual([])
    await fetcher.idle()
    await clock.advance(0)
    expect(node.inserted.map((x) => x.header.number)).toEqual([3n])
    expect(node.broadcasts).toEqual([
      { number: 3n, propagate: true },
      { number: 3n, propagate: false },
    ])
    expect(fetcher.state(b.hash)).toBeUndefined()
    expect(node.drops).toEqual([])
    fetcher.stop()
    expect(clock.pending).toBe(0)
  })

  it('passes on headers and bodies it did not ask for (for the downloader)', async () => {
    const { fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    const other = child(head, 1)
    const p = new TestPeer('a')
    fetcher.notify(p.announce(b))
    await clock.advance(400)
    // other's header, and b's header from a peer we did not ask
    expect(fetcher.filterHeaders('a', [other.header])).toEqual([other.header])
    expect(fetcher.filterHeaders('b', [b.header])).toEqual([b.header])
    expect(fetcher.filterHeaders('a', [b.header, other.header])).toEqual([other.header])
    await clock.advance(100)
    expect(fetcher.filterBodies('a', [bodyOf(other)])).toEqual([bodyOf(other)])
    expect(fetcher.filterBodies('a', [bodyOf(other), bodyOf(b)])).toEqual([bodyOf(other)])
    fetcher.stop()
  })

  it('sends one header request for a hash announced many times, by one or several peers', async () => {
    const { fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    const peers = ['a', 'b', 'c'].map((id) => new TestPeer(id))
    expect(fetcher.notify(peers[0]!.announce(b))).toBe('accepted')
    expect(fetcher.notify(peers[0]!.announce(b))).toBe('duplicate')
    expect(fetcher.notify(peers[1]!.announce(b))).toBe('duplicate')
    expect(fetcher.notify(peers[2]!.announce(b))).toBe('duplicate')
    await clock.advance(1_000)
    const all = peers.flatMap((p) => p.headerRequests)
    expect(all).toEqual([hex(b)])
    // a late announcement while fetching does not start another request
    const asked = peers.find((p) => p.headerRequests.length > 0)!
    const late = new TestPeer('d')
    expect(fetcher.notify(late.announce(b))).toBe('duplicate')
    await clock.advance(1_000)
    expect(late.headerRequests).toEqual([])
    expect(asked.headerRequests).toHaveLength(1)
    fetcher.stop()
  })

  it('does not fetch a block that arrived whole (NewBlock) within arriveTimeout', async () => {
    const { node, fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    const p = new TestPeer('a')
    fetcher.notify(p.announce(b))
    expect(fetcher.enqueue('b', b)).toBe('queued')
    await fetcher.idle()
    await clock.advance(1_000)
    expect(p.headerRequests).toEqual([])
    expect(node.inserted.map((x) => x.header.number)).toEqual([2n])
    expect(fetcher.enqueue('b', b)).not.toBe('stopped')
    fetcher.stop()
  })

  it('refetches a header from another announcer after fetchTimeout', async () => {
    const { node, fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    const a = new TestPeer('a')
    const c = new TestPeer('c')
    fetcher.notify(a.announce(b))
    fetcher.notify(c.announce(b))
    await clock.advance(400)
    const first = a.headerRequests.length === 1 ? a : c
    const second = first === a ? c : a
    expect(first.headerRequests).toHaveLength(1)
    expect(second.headerRequests).toHaveLength(0)
    await clock.advance(4_999)
    expect(second.headerRequests).toHaveLength(0)
    await clock.advance(1)
    expect(second.headerRequests).toEqual([hex(b)])
    // the late answer of the first peer is no longer ours
    expect(fetcher.filterHeaders(first.id, [b.header])).toEqual([b.header])
    expect(fetcher.filterHeaders(second.id, [b.header])).toEqual([])
    await clock.advance(100)
    expect(second.bodyRequests).toEqual([[hex(b)]])
    fetcher.filterBodies(second.id, [bodyOf(b)])
    await fetcher.idle()
    expect(node.inserted).toHaveLength(1)
    fetcher.stop()
  })

  it('owns its request timeouts: each request gets a signal, aborted once the hash no longer needs it', async () => {
    const { node, fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    const x = child(head, 1)
    const a = new TestPeer('a')
    const c = new TestPeer('c')
    fetcher.notify(a.announce(b))
    fetcher.notify(c.announce(b))
    await clock.advance(400)
    const first = a.headerRequests.length === 1 ? a : c
    const second = first === a ? c : a
    const [firstSignal] = first.headerSignals
    expect(firstSignal?.aborted).toBe(false)
    // Past the fetch timeout the hash is asked of the other announcer; the first request may
    // still be answered (late answers are fine) until the hash is done.
    await clock.advance(5_000)
    expect(second.headerRequests).toEqual([hex(b)])
    expect(firstSignal?.aborted).toBe(false)
    fetcher.filterHeaders(second.id, [b.header])
    expect(firstSignal?.aborted).toBe(true)
    expect(second.headerSignals[0]?.aborted).toBe(true) // answered: nothing left to wait for
    await clock.advance(100)
    const bodySignal = second.bodySignals[0]
    expect(bodySignal?.aborted).toBe(false)
    fetcher.filterBodies(second.id, [bodyOf(b)])
    expect(bodySignal?.aborted).toBe(true)
    await fetcher.idle()
    expect(node.inserted).toHaveLength(1)
    // Stopping aborts what is still in flight.
    fetcher.notify(a.announce(x))
    await clock.advance(400)
    const pending = a.headerSignals[a.headerSignals.length - 1]
    expect(pending?.aborted).toBe(false)
    fetcher.stop()
    expect(pending?.aborted).toBe(true)
  })

  it('refetches a body from another announcer after fetchTimeout, and forgets a hash nobody delivers', async () => {
    const { node, fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    const a = new TestPeer('a')
    const c = new TestPeer('c')
    fetcher.notify(a.announce(b))
    await clock.advance(400)
    fetcher.filterHeaders('a', [b.header])
    fetcher.notify(c.announce(b)) // c learns about it while we are at the header stage
    await clock.advance(100)
    expect(a.bodyRequests).toEqual([[hex(b)]])
    await clock.advance(5_000)
    expect(c.bodyRequests).toEqual([[hex(b)]])
    await clock.advance(5_000)
    expect(fetcher.state(b.hash)).toBeUndefined() // nobody left to ask
    expect(node.inserted).toHaveLength(0)
    fetcher.stop()

    // a lone announcer that never answers the header request: forgotten after the timeout
    const s = setup(1)
    const x = child(s.head, 1)
    s.fetcher.notify(new TestPeer('z').announce(x))
    await s.clock.advance(400 + 5_000)
    expect(s.fetcher.state(x.hash)).toBeUndefined()
    expect(s.fetcher.stats()).toEqual({
      announced: 0,
      fetching: 0,
      fetched: 0,
      completing: 0,
      queued: 0,
      importing: 0,
    })
    s.fetcher.stop()
  })

  it('completes an empty body without a request', async () => {
    const { node, fetcher, clock, head } = setup(1)
    const b = child(head, 0)
    const p = new TestPeer('a')
    fetcher.notify(p.announce(b))
    await clock.advance(400)
    fetcher.filterHeaders('a', [b.header])
    await clock.advance(1_000)
    expect(p.bodyRequests).toEqual([])
    expect(node.inserted.map((x) => hex(x))).toEqual([hex(b)])
    expect(node.inserted[0]!.transactions).toEqual([])
    fetcher.stop()
  })
})

describe('block fetcher: limits', () => {
  it('accepts at most hashLimit announcements per peer', async () => {
    const { fetcher, head } = setup(1)
    const p = new TestPeer('a')
    const q = new TestPeer('b')
    for (let i = 0; i < 256; i++)
      expect(fetcher.notify(p.announce(child(head, 1)))).toBe('accepted')
    expect(fetcher.notify(p.announce(child(head, 1)))).toBe('limit')
    expect(fetcher.notify(q.announce(child(head, 1)))).toBe('accepted') // other peers unaffected
    expect(fetcher.stats().announced).toBe(257)
    fetcher.stop()
  })

  it('frees announcement slots once they are done', async () => {
    const { fetcher, clock, head } = setup(1, { hashLimit: 2 })
    const p = new TestPeer('a')
    fetcher.notify(p.announce(child(head, 1)))
    fetcher.notify(p.announce(child(head, 1)))
    expect(fetcher.notify(p.announce(child(head, 1)))).toBe('limit')
    await clock.advance(400 + 5_000) // both time out, nobody else to ask
    expect(fetcher.notify(p.announce(child(head, 1)))).toBe('accepted')
    fetcher.stop()
  })

  it('queues at most blockLimit blocks per peer', async () => {
    const { node, fetcher } = setup(0)
    node.head = 100n
    for (let i = 0; i < 64; i++)
      expect(fetcher.enqueue('a', orphan(102n + BigInt(i % 30)))).toBe('queued')
    expect(fetcher.enqueue('a', orphan(110n))).toBe('limit')
    expect(fetcher.enqueue('b', orphan(110n))).toBe('queued')
    expect(fetcher.stats().queued).toBe(65)
    fetcher.stop()
  })

  it('discards announcements and blocks more than 7 below or 32 above the head', async () => {
    const { node, fetcher } = setup(0)
    node.head = 100n
    const p = new TestPeer('a')
    expect(fetcher.notify(p.announce(orphan(92n)))).toBe('distance')
    expect(fetcher.notify(p.announce(orphan(93n)))).toBe('accepted')
    expect(fetcher.notify(p.announce(orphan(132n)))).toBe('accepted')
    expect(fetcher.notify(p.announce(orphan(133n)))).toBe('distance')
    expect(fetcher.enqueue('a', orphan(92n))).toBe('distance')
    expect(fetcher.enqueue('a', orphan(133n))).toBe('distance')
    expect(fetcher.enqueue('a', orphan(132n))).toBe('queued')
    fetcher.stop()
  })
})

describe('block fetcher: bad peers and import order', () => {
  it('drops a peer whose header fails verification and fetches no body', async () => {
    const { node, fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    node.badHeaders.add(hex(b))
    const p = new TestPeer('a')
    fetcher.notify(p.announce(b))
    await clock.advance(400)
    fetcher.filterHeaders('a', [b.header])
    await clock.advance(1_000)
    expect(node.drops).toEqual([{ peerId: 'a', code: 'ErrInvalidHeader' }])
    expect(p.bodyRequests).toEqual([])
    expect(node.inserted).toEqual([])
    expect(fetcher.state(b.hash)).toBeUndefined()
    fetcher.stop()
  })

  it('drops a peer whose header number differs from its announcement', async () => {
    const { node, fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    const p = new TestPeer('a')
    fetcher.notify({ ...p.announce(b), number: 5n })
    await clock.advance(400)
    expect(p.headerRequests).toEqual([hex(b)])
    expect(fetcher.filterHeaders('a', [b.header])).toEqual([])
    expect(node.drops).toEqual([{ peerId: 'a', code: 'ErrHeaderNumberMismatch' }])
    fetcher.stop()
  })

  it('drops a peer that sends a whole block whose body does not match its header', async () => {
    const { node, fetcher, head } = setup(1)
    const good = child(head, 1)
    const other = child(head, 2)
    const forged = new (good.constructor as typeof import('@ethwire/rlp-wire').Block)(
      good.header,
      other.body(),
    )
    expect(fetcher.enqueue('a', forged)).toBe('invalid')
    expect(node.drops).toEqual([{ peerId: 'a', code: 'ErrInvalidBody' }])
    fetcher.stop()
  })

  it('drops the sender of a queued whole block whose header fails verification at import', async () => {
    const { node, fetcher, head } = setup(1)
    const b = child(head, 1)
    node.badHeaders.add(hex(b))
    fetcher.enqueue('a', b)
    await fetcher.idle()
    expect(node.drops).toEqual([{ peerId: 'a', code: 'ErrInvalidHeader' }])
    expect(node.inserted).toEqual([])
    expect(node.broadcasts).toEqual([])
    fetcher.stop()
  })

  it('imports a future block without propagating it (ErrFutureBlock)', async () => {
    const { node, fetcher, head } = setup(1)
    const b = child(head, 1)
    node.futureHeaders.add(hex(b))
    fetcher.enqueue('a', b)
    await fetcher.idle()
    expect(node.inserted).toHaveLength(1)
    expect(node.broadcasts).toEqual([{ number: 2n, propagate: false }])
    expect(node.drops).toEqual([])
    fetcher.stop()
  })

  it('imports blocks in order of number, whatever order they arrive in', async () => {
    const { node, fetcher, clock, head } = setup(1)
    const b2 = child(head, 1)
    const b3 = child(b2, 0)
    const b4 = child(b3, 2)
    const b5 = child(b4, 1)
    // b5 and b4 whole, b3 by announcement, b2 last and whole
    expect(fetcher.enqueue('x', b5)).toBe('queued')
    expect(fetcher.enqueue('y', b4)).toBe('queued')
    const p = new TestPeer('a')
    fetcher.notify(p.announce(b3))
    await clock.advance(400)
    fetcher.filterHeaders('a', [b3.header]) // empty body: completes at once, but waits for b2
    await clock.advance(10)
    expect(fetcher.state(b3.hash)).toBe('queued')
    expect(node.inserted).toEqual([])
    fetcher.enqueue('z', b2)
    await fetcher.idle()
    await clock.advance(0)
    expect(node.inserted.map((x) => x.header.number)).toEqual([2n, 3n, 4n, 5n])
    expect(node.broadcasts.filter((x) => !x.propagate).map((x) => x.number)).toEqual([
      2n,
      3n,
      4n,
      5n,
    ])
    fetcher.stop()
  })

  it('removePeer moves an in-flight fetch to another announcer', async () => {
    const { fetcher, clock, head } = setup(1)
    const b = child(head, 1)
    const a = new TestPeer('a')
    const c = new TestPeer('c')
    fetcher.notify(a.announce(b))
    fetcher.notify(c.announce(b))
    await clock.advance(400)
    const first = a.headerRequests.length === 1 ? a : c
    const second = first === a ? c : a
    fetcher.removePeer(first.id)
    await clock.advance(0)
    expect(second.headerRequests).toEqual([hex(b)])
    fetcher.stop()
  })

  it('ignores inputs when stopped and leaves no timers', async () => {
    const { fetcher, clock, head } = setup(1)
    const p = new TestPeer('a')
    fetcher.notify(p.announce(child(head, 1)))
    fetcher.stop()
    expect(clock.pending).toBe(0)
    expect(fetcher.notify(p.announce(child(head, 1)))).toBe('stopped')
    expect(fetcher.enqueue('a', child(head, 1))).toBe('stopped')
    await clock.advance(10_000)
    expect(p.headerRequests).toEqual([])
    expect(clock.pending).toBe(0)
  })
})
