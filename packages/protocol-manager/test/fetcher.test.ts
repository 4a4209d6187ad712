/**
 * The block fetcher as the manager wires it: late answers still reach it, the engine's header
 * check drops a peer announcing an invalid block, unsolicited responses outside a sync are
 * ignored; plus the peer API (events, infos, disconnect, byte counters).
 */
import { Block, BlockHeader, bytesToHex, DisconnectReason } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import type { ProtocolManagerEvents } from '../src/index.js'
import { attachRemote, waitFor } from '../src/testing.js'
import {
  buildBlocks,
  extend,
  localStatusOf,
  newChain,
  newManager,
  stopAllAfterEach,
} from './helpers.js'

stopAllAfterEach()

/** Moves `clock` 50 ms at a time, yielding to real time in between, until `p` settles. */
async function whileAdvancing<T>(clock: { tick(ms: number): void }, p: Promise<T>): Promise<T> {
  let settled = false
  const done = p.finally(() => {
    settled = true
  })
  for (let i = 0; i < 400 && !settled; i++) {
    await new Promise((res) => setTimeout(res, 5))
    if (!settled) clock.tick(50)
  }
  return done
}

describe('block fetcher wiring', () => {
  it('the block fetcher owns its request timeouts: its signal reaches the peer, which keeps no request it gave up', async () => {
    // Before, the manager gave its peers a 10 s default and dropped the fetcher's signal: a
    // header request the fetcher had given up on after its 5 s stayed pending at the peer.
    const { FakeClock } = await import('@ethwire/interface/testing')
    const clock = new FakeClock()
    const chain = await newChain()
    await extend(chain, 10)
    const pm = newManager(chain, { clock }, { minSyncPeers: 100 })
    pm.start()
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const [next] = await buildBlocks(chain, 1)
    await r.send({ name: 'NewBlockHashes', entries: [{ hash: next!.hash, number: 11n }] })
    // Fake time moves in small steps (with real-time yields) until the request is on the wire.
    await whileAdvancing(clock, r.readUntil('GetBlockHeaders', 5_000))
    const peer = pm.parts.peers.peers()[0]!
    expect(peer.pendingRequests).toBe(1)
    clock.tick(5_000) // the fetcher's fetchTimeoutMs: nobody else announced it, it gives up
    expect(pm.parts.blockFetcher.state(next!.hash)).toBeUndefined()
    expect(peer.pendingRequests).toBe(0)
  })

  it('a header the engine rejects gets its announcer dropped and is not imported', async () => {
    const chain = await newChain()
    await extend(chain, 10)
    const verified: bigint[] = []
    const pm = newManager(
      chain,
      {
        verifyHeader: (h) => {
          verified.push(h.number)
          if (h.extra.length > 0)
            throw Object.assign(new Error('bad seal'), { code: 'ErrInvalidSeal' })
        },
      },
      { minSyncPeers: 100 },
    )
    pm.start()
    const removed: ProtocolManagerEvents['peer:removed'][] = []
    pm.on('peer:removed', (e) => removed.push(e))
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const [good] = await buildBlocks(chain, 1)
    const bad = new Block(
      BlockHeader.fromData({ ...good!.header.toData(), extra: new Uint8Array([1]) }),
      good!.body(),
    )
    await r.send({ name: 'NewBlockHashes', entries: [{ hash: bad.hash, number: 11n }] })
    const gh = await r.readUntil('GetBlockHeaders', 3_000)
    await r.send({ name: 'BlockHeaders', requestId: gh.requestId, headers: [bad.header] })
    await r.done
    expect(verified).toEqual([11n])
    expect(removed.map((e) => e.error)).toEqual(['ErrBadPeer'])
    expect(r.conn.closeInfo?.reason).toBe(DisconnectReason.UselessPeer)
    expect(chain.currentHeader().number).toBe(10n)
  })

  it('a valid NewBlock is verified, imported, and relayed (√n whole, hash to the rest)', async () => {
    const chain = await newChain()
    await extend(chain, 10)
    const verified: bigint[] = []
    const pm = newManager(
      chain,
      { verifyHeader: (h) => void verified.push(h.number) },
      { minSyncPeers: 100 },
    )
    pm.start()
    const local = await localStatusOf(chain)
    const src = await attachRemote(pm, { version: 68, local })
    const others = await Promise.all(
      [0, 1, 2, 3].map(() => attachRemote(pm, { version: 68, local })),
    )
    const [b] = await buildBlocks(chain, 1)
    const td = (await chain.getTd(chain.currentHeader().hash))! + b!.header.difficulty
    await src.send({ name: 'NewBlock', block: b!, td })
    await waitFor(() => chain.currentHeader().number === 11n, 5_000, 'imported')
    expect(verified).toEqual([11n])
    const firsts = await Promise.all(others.map((r) => r.read(2_000)))
    expect(firsts.filter((m) => m.name === 'NewBlock').length).toBe(2)
    expect(firsts.filter((m) => m.name === 'NewBlockHashes').length).toBe(2)
    expect(pm.stats()).toMatchObject({ newBlockReceived: 1, blocksImportedByFetcher: 1 })
  })

  it('unsolicited headers outside a sync are ignored and scored, not dropped for', async () => {
    const { FakeClock } = await import('@ethwire/interface/testing')
    const chain = await newChain()
    await extend(chain, 5)
    // The reputation's recovery runs on the manager's clock: a fake one keeps the score exact.
    const pm = newManager(chain, { clock: new FakeClock() }, { minSyncPeers: 100 })
    pm.start()
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const h = (await chain.getHeaderByNumber(3n))!
    for (let i = 0; i < 5; i++) await r.send({ name: 'BlockHeaders', requestId: 99n, headers: [h] })
    await r.send({ name: 'BlockBodies', requestId: 98n, bodies: [] })
    await r.send({
      name: 'GetBlockHeaders',
      requestId: 1n,
      request: { origin: { number: 1n }, amount: 1n, skip: 0n, reverse: false },
    })
    const res = await r.readUntil('BlockHeaders')
    expect(res.requestId).toBe(1n)
    expect(pm.peerCount).toBe(1)
    expect(pm.log.entries.filter((e) => e.message === 'unrequested response').length).toBe(5)
    // Each costs the peer 2 points of reputation (the empty bodies answer is nothing unasked).
    expect(pm.peerInfos()[0]).toMatchObject({
      score: -10,
      offences: 5,
      lastOffence: { kind: 'unsolicitedResponse' },
    })
  })
})

describe('peer API', () => {
  it('events, peerInfos, disconnect(id) and byte counters', async () => {
    const chain = await newChain()
    await extend(chain, 5)
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    pm.start()
    const added: ProtocolManagerEvents['peer:added'][] = []
    const removed: ProtocolManagerEvents['peer:removed'][] = []
    pm.on('peer:added', (e) => added.push(e))
    pm.on('peer:removed', (e) => removed.push(e))
    const local = await localStatusOf(chain)
    const r68 = await attachRemote(pm, { version: 68, local, id: 'p68' })
    const r69 = await attachRemote(pm, { version: 69, local, id: 'p69' })
    await waitFor(() => added.length === 2)
    const head = bytesToHex(chain.currentHeader().hash)
    expect(pm.peerInfos()).toEqual([
      {
        id: 'p68',
        version: 68,
        transport: 'pipe',
        remoteAddress: 'pipe://p68',
        inbound: true,
        head,
        td: local.td,
        score: 0,
        kind: 'basic',
        offences: 0,
      },
      {
        id: 'p69',
        version: 69,
        transport: 'pipe',
        remoteAddress: 'pipe://p69',
        inbound: true,
        head,
        earliest: 0n,
        latest: 5n,
        score: 0,
        kind: 'basic',
        offences: 0,
      },
    ])
    expect(added.map((e) => e.id)).toEqual(['p68', 'p69'])
    const s = pm.stats()
    expect(s.bytesSent).toBeGreaterThan(0) // our two Status messages
    expect(s.bytesReceived).toBe(0) // the handshake's Status is not counted as traffic after it
    await r68.send({
      name: 'GetBlockHeaders',
      requestId: 1n,
      request: { origin: { number: 1n }, amount: 3n, skip: 0n, reverse: false },
    })
    await r68.readUntil('BlockHeaders')
    expect(pm.stats().bytesReceived).toBeGreaterThan(0)
    expect(pm.stats().bytesSent).toBeGreaterThan(s.bytesSent)
    await pm.disconnect('p69', DisconnectReason.UselessPeer)
    await r69.done
    expect(r69.conn.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: true })
    expect(removed.map((e) => e.id)).toEqual(['p69'])
    expect(pm.peerCount).toBe(1)
    await r68.close()
  })
})
