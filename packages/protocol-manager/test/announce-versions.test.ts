/**
 * Block announcements per version: peers up to eth/68 get NewBlock / NewBlockHashes on every path
 * that sends them (a mined block, a relayed block the fetcher imported, a direct broadcast); from
 * eth/69 on (go-ethereum master drops a peer that sends them) never, on any path, not even when
 * queued on the peer directly.
 */
import type { Chain } from '@ethwire/chain'
import { type EthMessage, MsgCode } from '@ethwire/rlp-wire'
import { beforeEach, describe, expect, it } from 'vitest'
import { attachRemote, waitFor } from '../src/testing.js'
import {
  buildBlocks,
  drain,
  extend,
  localStatusOf,
  newChain,
  newManager,
  stopAllAfterEach,
} from './helpers.js'

let chain: Chain
beforeEach(async () => {
  chain = await newChain()
  await extend(chain, 10)
})
stopAllAfterEach()

const announcements = (ms: EthMessage[]) =>
  ms.filter((m) => m.name === 'NewBlock' || m.name === 'NewBlockHashes').map((m) => m.name)

describe('block announcements by version', () => {
  for (const version of [62, 63, 66, 67, 68, 69, 70]) {
    const allowed = version < 69
    it(`eth/${version}: ${allowed ? 'announced on every path' : 'never announced'}`, async () => {
      const pm = newManager(chain, {}, { minSyncPeers: 100, acceptTxs: true })
      await pm.start()
      const watcher = await attachRemote(pm, {
        version,
        local: await localStatusOf(chain),
        id: 'watcher',
      })
      // The relaying source: an eth/68 peer that hands us a new block.
      const source = await attachRemote(pm, {
        version: 68,
        local: await localStatusOf(chain),
        id: 'source',
      })
      await waitFor(() => pm.peerCount === 2)

      // 1. A block we mined: propagate (√n of the peers that lack it), then announce.
      const [mined] = await buildBlocks(chain, 1)
      await chain.insertChain([mined!])
      await pm.announceMined(mined!)
      const afterMined = announcements(await drain(watcher, 150))

      // 2. A block relayed by the fetcher after its import.
      const [relayed] = await buildBlocks(chain, 1)
      const td = (await chain.getTd(mined!.hash))! + relayed!.header.difficulty
      await source.send({ name: 'NewBlock', block: relayed!, td })
      await waitFor(() => chain.currentHeader().number === 12n, 5_000, 'relayed block imported')
      const afterRelay = announcements(await drain(watcher, 150))

      // 3. A direct hash broadcast of a block nobody knows yet.
      const [third] = await buildBlocks(chain, 1)
      await chain.insertChain([third!])
      const queued = await pm.broadcastBlock(third!, false)
      const afterDirect = announcements(await drain(watcher, 150))

      if (allowed) {
        // One peer lacking it among two (the source knows what it sent): √ of 1 or 2 is 1.
        expect(afterMined.length).toBeGreaterThan(0)
        expect(afterRelay.length).toBeGreaterThan(0)
        expect(afterDirect).toEqual(['NewBlockHashes'])
        expect(queued).toBe(2)
      } else {
        expect(afterMined).toEqual([])
        expect(afterRelay).toEqual([])
        expect(afterDirect).toEqual([])
        expect(queued).toBe(1) // only the eth/68 source got the hash
        // Even queued on the peer directly, the write is refused and the peer stays.
        const peer = pm.parts.peers.get('watcher')!
        peer.queueNewBlockHashes([{ hash: third!.hash, number: third!.header.number }])
        peer.queueNewBlock(third!, td)
        await peer.flushed()
        expect(peer.droppedBroadcasts).toBe(2)
        expect(announcements(await drain(watcher, 100))).toEqual([])
        expect(pm.peerInfos().map((p) => p.id)).toContain('watcher')
        // What the watcher did get: the block range (eth/69+), never an announcement code.
        const raw = await watcher.conn
          .readMsg(AbortSignal.timeout(50))
          .then((m) => m.code)
          .catch(() => undefined)
        expect(raw === MsgCode.NewBlock || raw === MsgCode.NewBlockHashes).toBe(false)
      }
    })
  }
})
