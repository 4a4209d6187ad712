import { FakeClock } from '@ethwire/interface/testing'
import { DisconnectReason, decodeMessage, type EthConnection } from '@ethwire/rlp-wire'
import { genBlock, genTransaction, Rand } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import { isPeerError, Peer, PeerSet } from '../src/index.js'
import { peerPair, stalledConnection, testStatus } from '../src/testing.js'

const r = new Rand(7)
const hash = (n: number) => new Uint8Array(32).fill(n)

function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

describe('PeerSet registration', () => {
  it('register, lookup, size, unregister and their errors', () => {
    const set = new PeerSet<Peer>()
    const a = peerPair({ id: 'a' }).peer
    const b = peerPair({ id: 'b' }).peer
    set.register(a)
    set.register(b)
    expect(set.size).toBe(2)
    expect(set.get('a')).toBe(a)
    expect(set.has('b')).toBe(true)
    expect(set.peers()).toEqual([a, b])
    expect([...set]).toEqual([a, b])
    const dup = caught(() => set.register(peerPair({ id: 'a' }).peer))
    expect(isPeerError(dup, 'ErrAlreadyRegistered')).toBe(true)
    expect((dup as { disconnectReason: number }).disconnectReason).toBe(
      DisconnectReason.AlreadyConnected,
    )
    expect(set.unregister('a')).toBe(a)
    expect(set.get('a')).toBeUndefined()
    expect(
      isPeerError(
        caught(() => set.unregister('a')),
        'ErrNotRegistered',
      ),
    ).toBe(true)
    expect(set.size).toBe(1)
  })

  it('refuses peers over the maximum with TooManyPeers', () => {
    const set = new PeerSet({ maxPeers: 2 })
    set.register(peerPair({ id: 'a' }).peer)
    set.register(peerPair({ id: 'b' }).peer)
    const err = caught(() => set.register(peerPair({ id: 'c' }).peer))
    expect(isPeerError(err, 'ErrTooManyPeers')).toBe(true)
    expect((err as { disconnectReason: number }).disconnectReason).toBe(
      DisconnectReason.TooManyPeers,
    )
    set.unregister('a')
    set.register(peerPair({ id: 'c' }).peer)
    expect(set.size).toBe(2)
  })

  it('emits added and removed; unsubscribing stops events', () => {
    const set = new PeerSet<Peer>()
    const log: string[] = []
    const offAdded = set.on('added', (p) => log.push(`+${p.id}`))
    set.on('removed', (p) => log.push(`-${p.id}`))
    set.register(peerPair({ id: 'x' }).peer)
    set.unregister('x')
    offAdded()
    set.register(peerPair({ id: 'y' }).peer)
    expect(log).toEqual(['+x', '-x'])
    expect(set.events.listenerCount('added')).toBe(0)
  })

  it('concurrent register/unregister from many tasks keeps the set consistent', async () => {
    const set = new PeerSet<Peer>({ maxPeers: 1_000 })
    let added = 0
    let removed = 0
    set.on('added', () => added++)
    set.on('removed', () => removed++)
    const rand = new Rand(99)
    const errors: string[] = []
    const tick = () =>
      new Promise<void>((res) => (rand.int(2) === 0 ? queueMicrotask(res) : setImmediate(res)))
    // 40 ids, each raced by 5 tasks that register then maybe unregister.
    const tasks: Promise<void>[] = []
    for (let t = 0; t < 200; t++) {
      const id = `p${t % 40}`
      tasks.push(
        (async () => {
          await tick()
          try {
            set.register(peerPair({ id }).peer)
          } catch (e) {
            if (isPeerError(e)) errors.push(e.code)
            return
          }
          await tick()
          if (rand.int(2) === 0) set.unregister(id)
        })(),
      )
    }
    await Promise.all(tasks)
    expect(added - removed).toBe(set.size)
    expect(errors.every((c) => c === 'ErrAlreadyRegistered')).toBe(true)
    expect(new Set(set.peers().map((p) => p.id)).size).toBe(set.size)
    expect(added).toBeGreaterThanOrEqual(40)
  })
})

describe('bestPeer and known-item queries', () => {
  it('highest total difficulty wins, and follows head updates', () => {
    const set = new PeerSet<Peer>()
    expect(set.bestPeer()).toBeUndefined()
    const a = peerPair({ id: 'a', status: testStatus(68, { td: 10n }) }).peer
    const b = peerPair({ id: 'b', status: testStatus(68, { td: 30n }) }).peer
    const c = peerPair({ id: 'c', status: testStatus(66, { td: 20n }), version: 66 }).peer
    for (const p of [a, b, c]) set.register(p)
    expect(set.bestPeer()).toBe(b)
    c.setHead(hash(3), 31n)
    expect(set.bestPeer()).toBe(c)
    set.unregister('c')
    expect(set.bestPeer()).toBe(b)
  })

  it('eth/69 peers: highest latest block wins', () => {
    const set = new PeerSet<Peer>()
    const a = peerPair({ id: 'a', version: 69, status: testStatus(69, { number: 100n }) }).peer
    const b = peerPair({ id: 'b', version: 69, status: testStatus(69, { number: 90n }) }).peer
    set.register(a)
    set.register(b)
    expect(set.bestPeer()).toBe(a)
    b.setBlockRange({ earliestBlock: 0n, latestBlock: 120n, latestBlockHash: hash(1) })
    expect(set.bestPeer()).toBe(b)
  })

  it('peersWithoutBlock and peersWithoutTx', () => {
    const set = new PeerSet<Peer>()
    const a = peerPair({ id: 'a' }).peer
    const b = peerPair({ id: 'b' }).peer
    set.register(a)
    set.register(b)
    a.markBlock(hash(1))
    b.markTransaction(hash(2))
    expect(set.peersWithoutBlock(hash(1))).toEqual([b])
    expect(set.peersWithoutTx(hash(2))).toEqual([a])
    expect(set.peersWithoutTx(hash(3))).toEqual([a, b])
  })
})

describe('close', () => {
  it('disconnects every peer, emits removed, refuses later registers', async () => {
    const set = new PeerSet<Peer>()
    const pairs = ['a', 'b', 'c'].map((id) => peerPair({ id }))
    for (const p of pairs) set.register(p.peer)
    const removed: string[] = []
    set.on('removed', (p) => removed.push(p.id))
    await set.close()
    expect(set.size).toBe(0)
    expect(removed.sort()).toEqual(['a', 'b', 'c'])
    for (const p of pairs) {
      expect(p.peer.closed).toBe(true)
      expect(p.remote.closeInfo).toEqual({ reason: DisconnectReason.ClientQuitting, remote: true })
    }
    const err = caught(() => set.register(peerPair({ id: 'd' }).peer))
    expect(isPeerError(err, 'ErrPeerSetClosed')).toBe(true)
    await set.close() // idempotent
  })
})

describe('broadcast queues', () => {
  it('a stalled peer does not delay broadcasts to the others; its overflow is dropped and counted', async () => {
    const clock = new FakeClock()
    const set = new PeerSet<Peer>()
    const stalled = stalledConnection(68, 'stalled')
    const slow = new Peer(
      { conn: stalled.conn, status: testStatus(68), clock },
      { broadcastQueueSize: 8 },
    )
    set.register(slow)
    const fast: { peer: Peer; remote: EthConnection }[] = []
    for (const id of ['f1', 'f2', 'f3']) {
      const p = peerPair({ id, clock })
      set.register(p.peer)
      fast.push(p)
    }
    const blocks = Array.from({ length: 20 }, () => genBlock(r))
    for (const block of blocks) {
      for (const p of set.peersWithoutBlock(block.hash)) p.queueNewBlock(block, 1n)
    }
    // Every fast peer's remote receives all 20 blocks, in order, while the slow one hangs forever:
    // were the fast peers' writes queued behind it, these reads would never end (the test's own
    // timeout bounds them; no wall-clock assertion that a loaded machine could fail).
    for (const { remote } of fast) {
      for (const block of blocks) {
        const m = decodeMessage(68, await remote.readMsg())
        expect(m.name === 'NewBlock' && m.block.hash).toEqual(block.hash)
      }
    }
    for (const { peer } of fast) {
      await peer.flushed()
      expect(peer.sentBroadcasts).toBe(20)
      expect(peer.droppedBroadcasts).toBe(0)
    }
    // The slow peer: one write in progress, 8 queued, 11 dropped.
    expect(stalled.writesStarted()).toBe(1)
    expect(slow.queuedBroadcasts).toBe(8)
    expect(slow.droppedBroadcasts).toBe(11)
    expect(slow.knowsBlock(blocks[19]!.hash)).toBe(false) // dropped, so not marked known
    expect(slow.knowsBlock(blocks[0]!.hash)).toBe(true)
    stalled.release()
    await slow.flushed()
    expect(slow.sentBroadcasts).toBe(9)
  })

  it('queue helpers for every announcement reach the remote in order', async () => {
    const { peer, remote } = peerPair({ version: 69 })
    const tx = genTransaction(r, 2)
    const block = genBlock(r)
    expect(peer.queueNewBlockHashes([{ hash: block.hash, number: 1n }])).toBe(true)
    expect(peer.queueNewBlock(block, 5n)).toBe(true)
    expect(peer.queueTransactions([tx])).toBe(true)
    expect(peer.queuePooledTransactionHashes([genTransaction(r, 1)])).toBe(true)
    expect(
      peer.queueBlockRangeUpdate({ earliestBlock: 0n, latestBlock: 1n, latestBlockHash: hash(1) }),
    ).toBe(true)
    const names: string[] = []
    for (let i = 0; i < 5; i++) names.push(decodeMessage(69, await remote.readMsg()).name)
    expect(names).toEqual([
      'NewBlockHashes',
      'NewBlock',
      'Transactions',
      'NewPooledTransactionHashes',
      'BlockRangeUpdate',
    ])
    expect(peer.knowsTx(tx.hash)).toBe(true)
  })

  it('unsupported or closed: dropped and counted', async () => {
    const { peer } = peerPair({ version: 68 })
    peer.queueBlockRangeUpdate({ earliestBlock: 0n, latestBlock: 1n, latestBlockHash: hash(1) })
    await peer.flushed()
    expect(peer.droppedBroadcasts).toBe(1)
    peer.close()
    expect(peer.queueTransactions([])).toBe(false)
    expect(peer.droppedBroadcasts).toBe(2)
  })
})
