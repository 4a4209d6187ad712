/**
 * Reputation and flood limits through the manager (`@ethwire/peerset`'s `PeerScores` and
 * `FloodLimits` on a fake clock, peers over msgPipe): timeouts cost score and keep the peer, bad
 * responses get it dropped and banned (refused on reconnect until the ban expires), breaches drop
 * at once and are scored, an announcement flooder is dropped while a steady announcer is not,
 * unknown-hash floods are answered empty, a trusted peer evicts the lowest-scored one, and
 * admin info shows score and reason.
 */
import type { Chain } from '@ethwire/chain'
import { FakeClock } from '@ethwire/interface/testing'
import {
  bytesToHex,
  DisconnectReason,
  type EthMessage,
  MsgCode,
  rlpEncode,
} from '@ethwire/rlp-wire'
import { createTxPool } from '@ethwire/txpool'
import { describe, expect, it } from 'vitest'
import type { ProtocolManagerEvents } from '../src/index.js'
import { answerGetBlockHeaders, serveLimits } from '../src/serve.js'
import { attachRemote, type RemotePeer, waitFor } from '../src/testing.js'
import { extend, localStatusOf, makeTx, newChain, newManager, stopAllAfterEach } from './helpers.js'

stopAllAfterEach()

/** What the manager emitted, by event. */
function record(pm: ReturnType<typeof newManager>) {
  const ev = {
    removed: [] as ProtocolManagerEvents['peer:removed'][],
    refused: [] as ProtocolManagerEvents['peer:refused'][],
    offences: [] as ProtocolManagerEvents['peer:offence'][],
    failed: [] as ProtocolManagerEvents['sync:failed'][],
  }
  pm.on('peer:removed', (e) => ev.removed.push(e))
  pm.on('peer:refused', (e) => ev.refused.push(e))
  pm.on('peer:offence', (e) => ev.offences.push(e))
  pm.on('sync:failed', (e) => ev.failed.push(e))
  return ev
}

/** The head-header answer of `source` to a header request (the downloader's first question). */
async function headersFrom(source: Chain, msg: EthMessage): Promise<EthMessage> {
  if (msg.name !== 'GetBlockHeaders') throw new Error(`expected GetBlockHeaders, got ${msg.name}`)
  const { headers } = await answerGetBlockHeaders(source, msg.request, serveLimits(68))
  return { name: 'BlockHeaders', requestId: msg.requestId, headers }
}

describe('offences', () => {
  it('a peer that times out a few times loses score and stays', async () => {
    const source = await newChain()
    await extend(source, 30)
    const clock = new FakeClock()
    const pm = newManager(await newChain(), { clock }, { minSyncPeers: 1 })
    const ev = record(pm)
    await pm.start()
    const r = await attachRemote(pm, {
      version: 68,
      id: 'slow',
      local: await localStatusOf(source),
    })
    for (let round = 1; round <= 3; round++) {
      if (round > 1) void pm.syncNow()
      // The head header is answered; the next request never is.
      await r.send(await headersFrom(source, await r.readUntil('GetBlockHeaders')))
      await r.readUntil('GetBlockHeaders')
      clock.tick(61_000) // past the downloader's time-to-live
      await waitFor(() => ev.failed.length === round, 5_000, `sync ${round} failed`)
      await waitFor(() => pm.parts.downloader.peerIds().includes('slow'), 2_000, 'offered again')
    }
    expect(ev.offences.map((o) => [o.kind, o.dropped])).toEqual([
      ['timeout', false],
      ['timeout', false],
      ['timeout', false],
    ])
    expect(ev.removed).toEqual([])
    const info = pm.peerInfos()[0]!
    // 3 × 4 points, 1 point a minute back: far from the −50 of a ban.
    expect(info).toMatchObject({ id: 'slow', offences: 3, lastOffence: { kind: 'timeout' } })
    expect(info.score).toBeLessThan(-8)
    expect(info.score).toBeGreaterThan(-12)
    expect(r.conn.closeInfo).toBeUndefined()
  })

  it('a peer that keeps answering with more than asked is dropped, banned, and refused until the ban expires', async () => {
    const source = await newChain()
    await extend(source, 30)
    const clock = new FakeClock()
    const pm = newManager(await newChain(), { clock }, { minSyncPeers: 1 })
    const ev = record(pm)
    await pm.start()
    const local = await localStatusOf(source)
    const r = await attachRemote(pm, { version: 68, id: 'liar', local })
    const two = [(await source.getHeaderByNumber(1n))!, (await source.getHeaderByNumber(2n))!]
    for (let round = 1; round <= 4; round++) {
      if (round > 1) void pm.syncNow()
      const req = await r.readUntil('GetBlockHeaders')
      if (req.name !== 'GetBlockHeaders') throw new Error('unreachable')
      // The downloader asked for the head header alone: two is not an answer (16 points).
      await r.send({ name: 'BlockHeaders', requestId: req.requestId, headers: two })
      if (round < 4) await waitFor(() => ev.failed.length === round, 5_000, `sync ${round} failed`)
    }
    await r.done
    expect(ev.offences.map((o) => [o.kind, o.score, o.dropped])).toEqual([
      ['badResponse', -16, false],
      ['badResponse', -32, false],
      ['badResponse', -48, false],
      ['badResponse', -64, true],
    ])
    expect(r.conn.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: true })
    expect(ev.removed).toHaveLength(1)
    expect(ev.removed[0]).toMatchObject({
      id: 'liar',
      error: 'ErrReputation',
      offence: 'badResponse',
      reason: DisconnectReason.UselessPeer,
      score: -64,
      lastOffence: { kind: 'badResponse' },
    })
    expect(ev.removed[0]!.detail).toMatch(/^badResponse: BlockHeaders with 2 items.*\(score -64\)$/)
    const ban = pm.parts.scores.info('liar')
    expect(ban).toMatchObject({ banned: true, bannedUntilMs: 12 * 3_600_000, offences: 4 })
    expect(ban.banReason).toMatch(/^badResponse: BlockHeaders with 2 items/)

    // Reconnecting: refused before the handshake, with UselessPeer and a typed reason.
    const again = await attachRemote(pm, { version: 68, id: 'liar', local }).catch((e) => e)
    expect(again).toBeInstanceOf(Error)
    expect(ev.refused).toMatchObject([
      { id: 'liar', error: 'ErrBanned', reason: DisconnectReason.UselessPeer },
    ])
    expect(pm.peerCount).toBe(0)

    // 12 hours later the ban is over: the peer is accepted again, its score reset.
    clock.tick(12 * 3_600_000)
    const back = await attachRemote(pm, { version: 68, id: 'liar', local })
    await waitFor(() => pm.peerCount === 1, 2_000, 'accepted again')
    expect(pm.peerInfos()[0]).toMatchObject({ id: 'liar', score: 0 })
    await back.close()
  })

  it('a breach drops at once and is scored; the peer may come back (not banned for one)', async () => {
    const chain = await newChain()
    await extend(chain, 5)
    const pm = newManager(chain, { clock: new FakeClock() }, { minSyncPeers: 100 })
    const ev = record(pm)
    await pm.start()
    const local = await localStatusOf(chain)
    const r = await attachRemote(pm, { version: 68, id: 'garbler', local })
    await r.sendRaw(MsgCode.GetBlockHeaders, rlpEncode([1, [2]])) // not a GetBlockHeaders
    await r.done
    expect(r.conn.closeInfo?.reason).toBe(DisconnectReason.ProtocolError)
    expect(ev.removed[0]).toMatchObject({ error: 'ErrDecode', offence: 'badMessage', score: -16 })
    expect(ev.offences).toMatchObject([{ id: 'garbler', kind: 'badMessage', dropped: true }])
    const again = await attachRemote(pm, { version: 68, id: 'garbler', local })
    await waitFor(() => pm.peerCount === 1, 2_000, 'accepted again')
    expect(pm.peerInfos()[0]).toMatchObject({ score: -16, offences: 1 })
    await again.close()
  })
})

describe('flood limits', () => {
  it('an announcement flooder is dropped while a steady announcer is not', async () => {
    const chain = await newChain()
    const blocks = await extend(chain, 4)
    const clock = new FakeClock()
    const pm = newManager(chain, { clock }, { minSyncPeers: 100 })
    const ev = record(pm)
    await pm.start()
    const local = await localStatusOf(chain)
    const flooder = await attachRemote(pm, { version: 68, id: 'flooder', local })
    const steady = await attachRemote(pm, { version: 68, id: 'steady', local })
    await waitFor(() => pm.peerCount === 2)
    // Hashes of blocks we have: nothing to fetch, only the counting matters.
    const entries = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        hash: blocks[i % 4]!.hash,
        number: blocks[i % 4]!.header.number,
      }))
    const received = () => pm.stats().newBlockHashesReceived
    // The flooder sends 16 × 1,024 hashes at once (the burst is 8,192): from the 9th message on
    // they are refused, 8 points each; the 7th refusal takes it below −50.
    for (let i = 0; i < 16; i++)
      await flooder.send({ name: 'NewBlockHashes', entries: entries(1024) })
    await flooder.done
    // 30 s of the steady peer announcing 512 hashes a second (the limit is 1,024/s).
    for (let s = 0; s < 30; s++) {
      const before = received()
      await steady.send({ name: 'NewBlockHashes', entries: entries(512) })
      await waitFor(() => received() > before, 5_000, 'announcement handled')
      clock.tick(1_000)
    }
    const floods = ev.offences.filter((o) => o.kind === 'flood')
    expect(floods.every((o) => o.id === 'flooder')).toBe(true)
    // 7 refusals: 7 × 8 = 56 points, below −50: banned and dropped.
    expect(floods.map((o) => o.dropped)).toEqual([false, false, false, false, false, false, true])
    expect(ev.removed).toMatchObject([
      { id: 'flooder', error: 'ErrReputation', offence: 'flood', score: -56 },
    ])
    expect(flooder.conn.closeInfo?.reason).toBe(DisconnectReason.UselessPeer)
    expect(pm.peerInfos()).toMatchObject([{ id: 'steady', score: 0, offences: 0 }])
    expect(steady.conn.closeInfo).toBeUndefined()
  })

  it('2,000 requests of 192 headers are answered at the bounded rate, and a second peer is served meanwhile', async () => {
    const stored = await newChain()
    await extend(stored, 200)
    // The headers from memory: this is about the pacing, not LevelDB (384,000 header reads).
    const cache = new Map<bigint, Awaited<ReturnType<Chain['getHeaderByNumber']>>>()
    for (let i = 0n; i <= 200n; i++) cache.set(i, await stored.getHeaderByNumber(i))
    const chain = Object.create(stored, {
      getHeaderByNumber: { value: async (n: bigint) => cache.get(n) },
    }) as Chain
    const clock = new FakeClock()
    const pm = newManager(chain, { clock }, { minSyncPeers: 100, syncIntervalMs: 24 * 3_600_000 })
    await pm.start()
    const local = await localStatusOf(chain)
    const greedy = await attachRemote(pm, { version: 68, id: 'greedy', local })
    const other = await attachRemote(pm, { version: 68, id: 'other', local })
    await waitFor(() => pm.peerCount === 2)
    const ask = (r: RemotePeer, id: bigint) =>
      r.send({
        name: 'GetBlockHeaders',
        requestId: id,
        request: { origin: { number: 1n }, amount: 192n, skip: 0n, reverse: false },
      })
    const n = 2_000
    for (let i = 0; i < n; i++) await ask(greedy, BigInt(i + 1))
    // Answers, read raw (no decoding): the fake time each one came at.
    const times: number[] = []
    let otherAt: number | undefined
    let otherAskedAt: number | undefined
    const readGreedy = (async () => {
      while (times.length < n) {
        const m = await greedy.conn.readMsg()
        if (m.code === MsgCode.BlockHeaders) times.push(clock.now())
        if (times.length === 500 && otherAskedAt === undefined) {
          otherAskedAt = clock.now()
          await ask(other, 1n)
          void other.conn.readMsg().then((a) => {
            if (a.code === MsgCode.BlockHeaders) otherAt = clock.now()
          })
        }
      }
    })()
    // Drive the fake clock: fire a timer due soon (a serving queue's wait) whenever one is
    // armed; let the chain's reads run in between.
    let done = false
    void readGreedy.finally(() => {
      done = true
    })
    const giveUpAt = Date.now() + 100_000
    while (!done && Date.now() < giveUpAt) {
      await new Promise((res) => setImmediate(res))
      const due = clock.nextDue()
      if (due !== undefined && due - clock.now() <= 1_000) clock.fireNext()
    }
    await readGreedy
    expect(times).toHaveLength(n)
    // Never faster than the bucket allows: the i-th answer (192 headers each) comes no earlier
    // than its headers beyond the 4,096 burst take at 8,192 a second.
    for (let i = 0; i < n; i++) {
      const earliest = (((i + 1) * 192 - 4_096) * 1_000) / 8_192
      expect(times[i]!).toBeGreaterThanOrEqual(Math.floor(earliest))
    }
    // …and no slower either (the fake clock only moves to the queue's own waits).
    const total = ((n * 192 - 4_096) * 1_000) / 8_192 // 46,375 ms
    expect(times[n - 1]!).toBeGreaterThanOrEqual(total - 1)
    expect(times[n - 1]!).toBeLessThanOrEqual(total + 50)
    // The other peer was answered at once (its own bucket), while 1,500 answers were still due.
    expect(otherAt).toBeDefined()
    expect(otherAt! - otherAskedAt!).toBeLessThan(1_000)
    expect(times[n - 1]! - otherAt!).toBeGreaterThan(30_000)
    expect(pm.peerCount).toBe(2) // serving slowly is not an offence
    if (process.env.PM_TEST_LOG === '1')
      console.log(
        'last answer at',
        times[n - 1],
        'ms; other waited',
        otherAt! - otherAskedAt!,
        'ms',
      )
  }, 120_000)

  it('requests for what we do not have are answered empty over their limit, and reported', async () => {
    const chain = await newChain()
    await extend(chain, 3)
    const pm = newManager(chain, { clock: new FakeClock() }, { minSyncPeers: 100 })
    const ev = record(pm)
    await pm.start()
    const r = await attachRemote(pm, {
      version: 68,
      id: 'prober',
      local: await localStatusOf(chain),
    })
    const known = (await chain.getHeaderByNumber(2n))!.hash
    const unknown = Array.from({ length: 1_024 }, (_, i) => new Uint8Array(32).fill((i % 250) + 1))
    const bodies = async (id: bigint, hashes: Uint8Array[]) => {
      await r.send({ name: 'GetBlockBodies', requestId: id, hashes })
      const res = await r.readUntil('BlockBodies')
      expect(res.requestId).toBe(id)
      return res.bodies.length
    }
    expect(await bodies(1n, [known, ...unknown])).toBe(1) // 1,024 misses: the whole burst
    expect(await bodies(2n, [known, ...unknown.slice(0, 10)])).toBe(0) // refused: empty
    expect(await bodies(3n, [known])).toBe(1) // nothing unknown: served
    expect(ev.offences).toMatchObject([{ id: 'prober', kind: 'flood', dropped: false }])
    expect(pm.peerInfos()[0]).toMatchObject({ score: -8, lastOffence: { kind: 'flood' } })
  })
})

describe('trusted and static peers', () => {
  it('a trusted peer arriving when full evicts the lowest-scored basic peer; others are refused', async () => {
    const chain = await newChain()
    await extend(chain, 3)
    const clock = new FakeClock()
    const pm = newManager(
      chain,
      { clock },
      { minSyncPeers: 100, maxPeers: 3, trustedPeers: ['friend'], staticPeers: ['pinned'] },
    )
    const ev = record(pm)
    await pm.start()
    const local = await localStatusOf(chain)
    const pinned = await attachRemote(pm, { version: 68, id: 'pinned', local })
    const good = await attachRemote(pm, { version: 68, id: 'good', local })
    const meh = await attachRemote(pm, { version: 68, id: 'meh', local })
    await waitFor(() => pm.peerCount === 3)
    pm.parts.peers.report('meh', 'timeout') // −4: the one to go
    pm.parts.peers.report('pinned', 'badResponse') // lower still, but static: never evicted
    const stranger = await attachRemote(pm, { version: 68, id: 'stranger', local }).catch((e) => e)
    expect(stranger).toBeInstanceOf(Error)
    expect(ev.refused).toMatchObject([
      { id: 'stranger', error: 'ErrTooManyPeers', reason: DisconnectReason.TooManyPeers },
    ])
    const friend = await attachRemote(pm, { version: 68, id: 'friend', local })
    await meh.done
    expect(meh.conn.closeInfo?.reason).toBe(DisconnectReason.TooManyPeers)
    expect(ev.removed).toMatchObject([{ id: 'meh', error: 'ErrEvicted' }])
    await waitFor(() => pm.peerCount === 3)
    expect(pm.peerInfos().map((p) => [p.id, p.kind])).toEqual([
      ['pinned', 'static'],
      ['good', 'basic'],
      ['friend', 'trusted'],
    ])
    // A trusted peer pays at most 2 points an offence and is never banned.
    for (let i = 0; i < 40; i++) pm.parts.peers.report('friend', 'badResponse')
    expect(pm.parts.scores.info('friend')).toMatchObject({ score: -80, banned: false })
    expect(friend.conn.closeInfo).toBeUndefined()
    for (const r of [pinned, good, friend]) await r.close()
  })
})

describe('legitimate gossip is not a flood', () => {
  it('GetPooledTransactions for hashes we announced that were mined since is not an unknown-hash flood', async () => {
    // The load test's peers were dropped as UselessPeer: the node announced hashes, the
    // transactions were mined before the peer's GetPooledTransactions arrived, and every such
    // hash was counted against the peer's unknown-hash bucket (burst 1,024) until the score fell.
    const chain = await newChain()
    await extend(chain, 3)
    const pool = createTxPool({}, { chainId: 1337n })
    await pool.start()
    try {
      const pm = newManager(chain, { txPool: pool }, { minSyncPeers: 100, acceptTxs: true })
      const ev = record(pm)
      await pm.start()
      const r = await attachRemote(pm, {
        version: 68,
        id: 'gossip',
        local: await localStatusOf(chain),
      })
      const txs = Array.from({ length: 1_200 }, (_, i) => makeTx(i % 8, BigInt(Math.floor(i / 8))))
      for (const tx of txs) await pool.add(tx, { local: true })
      // the node sends every one to its only peer (whole or by hash): the peer knows them
      const seen = new Set<string>()
      while (seen.size < txs.length) {
        const m = await r.read(10_000)
        if (m.name === 'Transactions') for (const t of m.txs) seen.add(bytesToHex(t.hash))
        if (m.name === 'NewPooledTransactionHashes')
          for (const h of m.hashes) seen.add(bytesToHex(h))
      }
      // mined before the peer asks
      await pool.removeIncluded(txs)
      expect(pool.size).toBe(0)
      for (const [i, part] of [txs.slice(0, 600), txs.slice(600)].entries()) {
        await r.send({
          name: 'GetPooledTransactions',
          requestId: BigInt(i + 1),
          hashes: part.map((t) => t.hash),
        })
        const res = await r.readUntil('PooledTransactions')
        expect(res.txs).toEqual([])
      }
      // hashes from nowhere still count: the same 1,200 from an unknown source are a flood
      const unknown = Array.from({ length: 1_200 }, (_, i) => {
        const h = new Uint8Array(32).fill(0xee)
        h[0] = i & 0xff
        h[1] = i >> 8
        return h
      })
      // (a full bucket lets one request through whole: 1,024 take the burst, 10 more are over)
      await r.send({
        name: 'GetPooledTransactions',
        requestId: 9n,
        hashes: unknown.slice(0, 1_024),
      })
      await r.readUntil('PooledTransactions')
      await r.send({
        name: 'GetPooledTransactions',
        requestId: 10n,
        hashes: unknown.slice(1_024, 1_034),
      })
      await r.readUntil('PooledTransactions')
      expect(ev.offences.map((o) => [o.id, o.kind, o.detail])).toEqual([
        [
          'gossip',
          'flood',
          'GetPooledTransactions: 10 unknown hashes over the limit, answered empty',
        ],
      ])
    } finally {
      await pool.stop()
    }
  }, 60_000)
})
