/**
 * One owner per timeout: the manager's peers time no request out on their own, so the
 * downloader's time-to-live (60 s at first, then 3 × the measured round trip) judges a slow peer,
 * and its round-trip and throughput estimates act. Before, a 10 s peer-level default fired first:
 * the downloader saw failures instead of timeouts and never measured the peer.
 */
import type { Chain } from '@ethwire/chain'
import { FakeClock } from '@ethwire/interface/testing'
import type { EthMessage } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import type { ProtocolManagerEvents } from '../src/index.js'
import { answerGetBlockBodies, answerGetBlockHeaders, serveLimits } from '../src/serve.js'
import { attachRemote, type RemotePeer, waitFor } from '../src/testing.js'
import { extend, localStatusOf, newChain, newManager, stopAllAfterEach } from './helpers.js'

stopAllAfterEach()

/** Answer `msg` (a header or body request) from `source`; undefined for anything else. */
async function answer(source: Chain, msg: EthMessage): Promise<EthMessage | undefined> {
  if (msg.name === 'GetBlockHeaders') {
    const { headers } = await answerGetBlockHeaders(source, msg.request, serveLimits(68))
    return { name: 'BlockHeaders', requestId: msg.requestId, headers }
  }
  if (msg.name === 'GetBlockBodies') {
    const bodies = await answerGetBlockBodies(source, msg.hashes)
    return { name: 'BlockBodies', requestId: msg.requestId, bodies }
  }
  return undefined
}

async function setup(blocks: number) {
  const source = await newChain()
  await extend(source, blocks, { txEvery: 4 })
  const target = await newChain()
  const clock = new FakeClock()
  const pm = newManager(target, { clock }, { minSyncPeers: 1 })
  const failed: ProtocolManagerEvents['sync:failed'][] = []
  const removed: ProtocolManagerEvents['peer:removed'][] = []
  pm.on('sync:failed', (e) => failed.push(e))
  pm.on('peer:removed', (e) => removed.push(e))
  pm.start()
  const r: RemotePeer = await attachRemote(pm, {
    version: 68,
    local: await localStatusOf(source),
  })
  return { source, target, clock, pm, r, failed, removed }
}

describe('request timeouts belong to the requester', () => {
  it('a peer answering every request 12 s late (past the old 10 s peer default) is synced from', async () => {
    const { source, target, clock, r, failed } = await setup(40)
    let answered = 0
    const serving = (async () => {
      while (target.currentHeader().number < 40n && answered < 100) {
        let msg: EthMessage
        try {
          msg = await r.read(10_000)
        } catch {
          return
        }
        const reply = await answer(source, msg)
        if (reply === undefined) continue
        clock.tick(12_000) // well within the downloader's 60 s, past a 10 s peer timeout
        await r.send(reply)
        answered++
      }
    })()
    await waitFor(() => target.currentHeader().number === 40n, 15_000, 'synced to #40')
    expect(failed).toEqual([])
    // Head, ancestor, headers and several body requests: every one of them 12 s late.
    expect(answered).toBeGreaterThanOrEqual(4)
    await r.close()
    await serving
  })

  it('a peer that stops answering loses reputation on the downloader’s own time-to-live (ErrTimeout) and stays', async () => {
    const { source, clock, pm, r, failed, removed } = await setup(40)
    const offences: ProtocolManagerEvents['peer:offence'][] = []
    pm.on('peer:offence', (e) => offences.push(e))
    // The head header comes at once; the ancestor request is never answered.
    const head = await r.readUntil('GetBlockHeaders', 5_000)
    await r.send((await answer(source, head))!)
    await r.readUntil('GetBlockHeaders', 5_000)
    const peer = pm.parts.peers.peers()[0]!
    clock.tick(30_000) // past a 10 s peer timeout, not yet the downloader's 60 s
    expect(peer.pendingRequests).toBe(1) // still waiting: nobody but the downloader times it out
    clock.tick(31_000)
    await waitFor(() => failed.length === 1, 5_000, 'sync failed')
    expect((failed[0]!.error as { code?: string }).code).toBe('ErrTimeout')
    // A timeout costs 4 points; the peer is not dropped for one…
    expect(offences).toMatchObject([{ id: peer.id, kind: 'timeout', score: -4, dropped: false }])
    expect(removed).toEqual([])
    expect(pm.peerCount).toBe(1)
    expect(pm.peerInfos()[0]).toMatchObject({ score: -4, lastOffence: { kind: 'timeout' } })
    // …and is offered to the downloader again for the next sync.
    await waitFor(() => pm.parts.downloader.peerIds().includes(peer.id), 2_000, 're-registered')
    expect(r.conn.closeInfo).toBeUndefined()
    await r.close()
  })
})
