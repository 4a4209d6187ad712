/**
 * The syncer on an injected clock: a sync on peer arrival only with minSyncPeers peers, a forced
 * sync every syncIntervalMs regardless, the new head announced afterwards (a BlockRangeUpdate to
 * eth/69 peers), progress while syncing, and no timers left after stop().
 */

import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex, DisconnectReason } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { attachRemote, connectManagers, waitFor } from '../src/testing.js'
import { extend, localStatusOf, newChain, newManager, stopAllAfterEach } from './helpers.js'

stopAllAfterEach()

async function pair(heightA: number, heightB: number) {
  const a = await newChain()
  const b = await newChain()
  const blocks = await extend(a, heightA)
  if (heightB > 0) await b.insertChain(blocks.slice(0, heightB))
  return { a, b }
}

const settle = () => new Promise((r) => setTimeout(r, 100))

describe('syncer', () => {
  it('below minSyncPeers a new peer does not trigger a sync; the forced sync timer does', async () => {
    const { a, b } = await pair(120, 0)
    const clock = new FakeClock()
    const pmA = newManager(a, {}, { minSyncPeers: 100 })
    const pmB = newManager(b, { clock }, { minSyncPeers: 3, syncIntervalMs: 10_000 })
    pmA.start()
    pmB.start()
    connectManagers(pmA, pmB, { version: 68 })
    await waitFor(() => pmB.peerCount === 1)
    await settle()
    expect(b.currentHeader().number).toBe(0n)
    clock.tick(9_999)
    await settle()
    expect(b.currentHeader().number).toBe(0n)
    clock.tick(1)
    await waitFor(() => b.currentHeader().number === 120n, 10_000, 'forced sync')
    // The sync resolves (and turns on acceptTxs) just after its last import.
    await waitFor(() => pmB.acceptTxs, 5_000, 'acceptTxs')
  })

  it('the minSyncPeers-th arriving peer triggers a sync with the best peer', async () => {
    const a = await newChain()
    const blocks = await extend(a, 60)
    const others = [await newChain(), await newChain()]
    for (const c of others) await c.insertChain(blocks.slice(0, 20))
    const b = await newChain()
    const pmB = newManager(b, {}, { minSyncPeers: 3, syncIntervalMs: 60_000 })
    pmB.start()
    const syncs: string[] = []
    pmB.on('sync:start', (e) => syncs.push(e.peerId))
    const pms = [a, ...others].map((c) => newManager(c, {}, { minSyncPeers: 100 }))
    for (const pm of pms) pm.start()
    connectManagers(pms[1]!, pmB, { version: 68, nameA: 'low1', nameB: 'B' })
    connectManagers(pms[2]!, pmB, { version: 68, nameA: 'low2', nameB: 'B' })
    await waitFor(() => pmB.peerCount === 2)
    await settle()
    expect(syncs).toEqual([])
    connectManagers(pms[0]!, pmB, { version: 68, nameA: 'best', nameB: 'B' })
    await waitFor(() => b.currentHeader().number === 60n, 10_000, 'synced from the best peer')
    expect(syncs).toEqual(['best'])
  })

  it('eth/69: syncs when the peer’s latest block is above our head, not when equal', async () => {
    const { a, b } = await pair(40, 40)
    const pmA = newManager(a, {}, { minSyncPeers: 100 })
    const pmB = newManager(b, {}, { minSyncPeers: 1 })
    pmA.start()
    pmB.start()
    const syncs: unknown[] = []
    pmB.on('sync:start', (e) => syncs.push(e))
    connectManagers(pmA, pmB, { version: 69 })
    await waitFor(() => pmB.peerCount === 1)
    await settle()
    expect(syncs).toEqual([])
    await pmB.syncNow()
    expect(syncs).toEqual([])
    expect(pmB.peerInfos()[0]).toMatchObject({ version: 69, latest: 40n, earliest: 0n })
    expect(pmB.peerInfos()[0]!.td).toBeUndefined()
  })

  it('after a sync the new head is announced (hash to eth/66+ peers, BlockRangeUpdate to eth/69)', async () => {
    const { a, b } = await pair(80, 10)
    const pmA = newManager(a, {}, { minSyncPeers: 100 })
    const pmB = newManager(b, {}, { minSyncPeers: 100, syncIntervalMs: 60_000 })
    pmA.start()
    pmB.start()
    const bStatus = await localStatusOf(b) // what B's other peers know: B's old head
    const watcher68 = await attachRemote(pmB, { version: 68, local: bStatus })
    const watcher69 = await attachRemote(pmB, { version: 69, local: bStatus })
    connectManagers(pmA, pmB, { version: 68, nameA: 'A', nameB: 'B' })
    await waitFor(() => pmB.peerCount === 3)
    const progress: unknown[] = []
    pmB.parts.downloader.on('imported', () => progress.push(pmB.syncing()))
    expect(pmB.syncing()).toBe(false)
    await pmB.syncNow()
    expect(b.currentHeader().number).toBe(80n)
    expect(pmB.syncing()).toBe(false)
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)).toMatchObject({ highestBlock: 80n })
    const head = b.currentHeader()
    const ann = await watcher68.readUntil('NewBlockHashes', 2_000)
    expect(ann.entries.map((e) => [bytesToHex(e.hash), e.number])).toEqual([
      [bytesToHex(head.hash), 80n],
    ])
    const range = await watcher69.readUntil('BlockRangeUpdate', 2_000)
    expect(range.range).toMatchObject({ earliestBlock: 0n, latestBlock: 80n })
    expect(bytesToHex(range.range.latestBlockHash)).toBe(bytesToHex(head.hash))
    expect(watcher69.seen.map((m) => m.name)).not.toContain('NewBlockHashes')
  })

  it('a failed sync is reported and does not turn on acceptTxs', async () => {
    const { a, b } = await pair(50, 0)
    const pmB = newManager(b, {}, { minSyncPeers: 100 })
    pmB.start()
    const failed: unknown[] = []
    pmB.on('sync:failed', (e) => failed.push(e))
    // A peer that claims a heavy chain but answers every request with nothing.
    const status = await localStatusOf(a)
    const liar = await attachRemote(pmB, { version: 68, local: status })
    const answering = (async () => {
      for (;;) {
        const m = await liar.read(5_000).catch(() => undefined)
        if (m === undefined) return
        if (m.name === 'GetBlockHeaders')
          await liar
            .send({ name: 'BlockHeaders', requestId: m.requestId, headers: [] })
            .catch(() => {})
      }
    })()
    await pmB.syncNow()
    expect(failed.length).toBe(1)
    expect(failed).toMatchObject([{ error: { code: 'ErrEmptyHeaderSet' } }])
    // The downloader gave up on the peer: dropped as ErrBadPeer (UselessPeer).
    await liar.done
    expect(liar.conn.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: true })
    expect(pmB.stats().peersDropped).toBe(1)
    expect(pmB.acceptTxs).toBe(false)
    expect(b.currentHeader().number).toBe(0n)
    await liar.close().catch(() => {})
    await answering
  })

  it('stop() clears every timer, disconnects peers with ClientQuitting and is idempotent', async () => {
    const { a, b } = await pair(30, 30)
    const clock = new FakeClock()
    const pmA = newManager(a, {}, { minSyncPeers: 100 })
    const pmB = newManager(b, { clock }, { minSyncPeers: 100 })
    pmA.start()
    pmB.start()
    expect(clock.pending).toBe(1) // the forced-sync timer
    const link = connectManagers(pmA, pmB, { version: 68 })
    await waitFor(() => pmB.peerCount === 1)
    // Give the fetchers something to time: an announcement of an unknown block.
    const r = await attachRemote(pmB, { version: 68, local: await localStatusOf(b) })
    await r.send({
      name: 'NewBlockHashes',
      entries: [{ hash: new Uint8Array(32).fill(5), number: 31n }],
    })
    await waitFor(() => clock.pending > 1)
    await pmB.stop()
    expect(clock.pending).toBe(0)
    expect(pmB.peerCount).toBe(0)
    await link.done
    await r.done
    expect(r.conn.closeInfo?.reason).toBe(8) // ClientQuitting
    await pmB.stop()
    clock.tick(60_000)
    expect(clock.pending).toBe(0)
  })
})

describe('synced without a sync (go-ethereum: acceptTxs once a sync attempt finishes)', () => {
  for (const version of [68, 69]) {
    it(`eth/${version}: a node whose peers are not ahead accepts transactions after its first round`, async () => {
      const { a, b } = await pair(25, 25)
      const pmA = newManager(a, {}, { minSyncPeers: 100 })
      const pmB = newManager(b, {}, { minSyncPeers: 1, syncIntervalMs: 60_000 })
      await pmA.start()
      await pmB.start()
      const starts: unknown[] = []
      pmB.on('sync:start', (e) => starts.push(e))
      expect(pmB.acceptTxs).toBe(false)
      connectManagers(pmA, pmB, { version })
      await waitFor(() => pmB.acceptTxs, 5_000, 'B in sync')
      expect(starts).toEqual([]) // nothing was downloaded: nobody was ahead
      expect(pmA.acceptTxs).toBe(false) // A has had no round (minSyncPeers 100, timer 10 s away)
    })
  }

  it('the forced round turns it on when the only peer is behind us; a round without peers does not', async () => {
    const { a: ours, b: theirs } = await pair(30, 10) // we are ahead of our only peer
    const clock = new FakeClock()
    const pmA = newManager(theirs, {}, { minSyncPeers: 100 })
    const pmB = newManager(ours, { clock }, { minSyncPeers: 100, syncIntervalMs: 10_000 })
    await pmA.start()
    await pmB.start()
    clock.tick(10_000) // a round with no peer at all
    await settle()
    expect(pmB.acceptTxs).toBe(false)
    connectManagers(pmA, pmB, { version: 68 })
    await waitFor(() => pmB.peerCount === 1)
    await settle()
    expect(pmB.acceptTxs).toBe(false) // below minSyncPeers: no round on arrival
    await waitFor(() => clock.pending > 0, 5_000, 'timer re-armed')
    clock.tick(10_000)
    await waitFor(() => pmB.acceptTxs, 5_000, 'B in sync after the forced round')
    expect(ours.currentHeader().number).toBe(30n)
  })
})
