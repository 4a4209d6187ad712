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

describe('block fetcher wiring', () => {
  it('a header answer that arrives after the request timed out is still taken by the fetcher', async () => {
    const chain = await newChain()
    await extend(chain, 10)
    const pm = newManager(chain, {}, { minSyncPeers: 100, requestTimeoutMs: 100 })
    pm.start()
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    const [next] = await buildBlocks(chain, 1, { txEvery: 1 })
    await r.send({ name: 'NewBlockHashes', entries: [{ hash: next!.hash, number: 11n }] })
    const gh = await r.readUntil('GetBlockHeaders', 3_000)
    await new Promise((res) => setTimeout(res, 300)) // the peer-level request has timed out
    await r.send({ name: 'BlockHeaders', requestId: gh.requestId, headers: [next!.header] })
    const gb = await r.readUntil('GetBlockBodies', 3_000)
    await r.send({ name: 'BlockBodies', requestId: gb.requestId, bodies: [next!.body()] })
    await waitFor(() => chain.currentHeader().number === 11n, 5_000, 'imported')
    expect(pm.peerCount).toBe(1)
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

  it('unsolicited headers outside a sync are ignored, not punished', async () => {
    const chain = await newChain()
    await extend(chain, 5)
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
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
        head,
        td: local.td,
      },
      {
        id: 'p69',
        version: 69,
        transport: 'pipe',
        remoteAddress: 'pipe://p69',
        head,
        earliest: 0n,
        latest: 5n,
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
