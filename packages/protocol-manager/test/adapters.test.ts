/**
 * The production adapters checked on their own: `toDownloaderPeer` over a real peer (a manager's
 * `Peer`, fed by its read loop) whose far end is another manager serving through the live
 * handlers and `serve.ts`, run through `checkDownloaderPeer`, the compliance check the downloader
 * ships; `toDownloaderChain` and `toFetcherPeer` against the same setup.
 */
import { checkDownloaderPeer } from '@ethwire/downloader/testing'
import { FakeClock } from '@ethwire/interface/testing'
import { bytesToHex, checkBody } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { toDownloaderChain, toDownloaderPeer, toFetcherPeer } from '../src/index.js'
import { connectManagers, waitFor } from '../src/testing.js'
import { extend, newChain, newManager, stopAllAfterEach } from './helpers.js'

stopAllAfterEach()

async function linked(version: number, blocks = 40) {
  const source = await newChain()
  const built = await extend(source, blocks, { txEvery: 3 })
  const server = newManager(source, {}, { minSyncPeers: 100 })
  // The client never syncs on its own: the check drives its peer.
  const client = newManager(await newChain(), { clock: new FakeClock() }, { minSyncPeers: 100 })
  await server.start()
  await client.start()
  connectManagers(server, client, { version, nameA: 'server', nameB: 'client' })
  await waitFor(() => client.peerCount === 1 && server.peerCount === 1)
  const peer = client.parts.peers.get('server')!
  return { source, built, server, client, peer }
}

describe('toDownloaderPeer passes checkDownloaderPeer over a live peer', () => {
  for (const version of [62, 63, 66, 67, 68, 69, 70]) {
    it(`eth/${version}`, async () => {
      const { source, built, peer } = await linked(version)
      const dropped: unknown[] = []
      const dp = toDownloaderPeer(peer, { drop: (e) => dropped.push(e) })
      expect(dp.id).toBe('server')
      const problems = await checkDownloaderPeer(dp, built, { timeoutMs: 5_000 })
      expect(problems).toEqual([])
      expect(dropped).toEqual([])
      // The head it advertises: TD up to eth/68, the block range's latest block from eth/69.
      const head = dp.head()
      expect(bytesToHex(head.hash)).toBe(bytesToHex(source.currentHeader().hash))
      if (version >= 69) {
        expect(head.number).toBe(40n)
        expect(head.td).toBeUndefined()
      } else {
        expect(head.td).toBe(await source.getTd(source.currentHeader().hash))
      }
    })
  }

  it('drop hands the downloader’s error to the peer layer', async () => {
    const { peer } = await linked(68, 10)
    const got: string[] = []
    const dp = toDownloaderPeer(peer, { drop: (e) => got.push(e.code) })
    const { DownloaderError } = await import('@ethwire/downloader')
    dp.drop(new DownloaderError('ErrTimeout', 'test'))
    expect(got).toEqual(['ErrTimeout'])
  })
})

describe('toDownloaderChain and toFetcherPeer', () => {
  it('the chain adapter reports the head with its TD and counts inserted blocks', async () => {
    const source = await newChain()
    const blocks = await extend(source, 12)
    const target = await newChain()
    const dc = toDownloaderChain(target)
    expect(await dc.currentBlock()).toMatchObject({ number: 0n })
    expect(await dc.insertChain(blocks.slice(0, 5))).toBe(5)
    const head = await dc.currentBlock()
    expect(head.number).toBe(5n)
    expect(head.td).toBe(await source.getTd(blocks[4]!.hash))
    expect(await dc.hasBlock(blocks[4]!.hash, 5n)).toBe(true)
    expect(await dc.hasBlock(blocks[5]!.hash, 6n)).toBe(false)
    expect((await dc.getHeaderByNumber(3n))?.number).toBe(3n)
  })

  it('the fetcher peer hands headers and bodies to the block fetcher’s filters', async () => {
    const { built, peer } = await linked(68, 10)
    const headers: unknown[][] = []
    const bodies: unknown[][] = []
    const fp = toFetcherPeer(peer, {
      blockFetcher: {
        filterHeaders: (id, hs) => headers.push([id, ...hs.map((h) => h.number)]),
        filterBodies: (id, bs) => bodies.push([id, bs.length, ...bs]),
      },
      txFetcher: { enqueue: () => {} },
    })
    const signal = new AbortController().signal
    fp.fetchHeader(built[6]!.hash, signal)
    fp.fetchBodies([built[2]!.hash, built[5]!.hash], signal)
    await waitFor(() => headers.length === 1 && bodies.length === 1)
    expect(headers).toEqual([['server', 7n]])
    expect(bodies[0]!.slice(0, 2)).toEqual(['server', 2])
    checkBody(built[2]!.header, bodies[0]![2] as never)
    checkBody(built[5]!.header, bodies[0]![3] as never)
  })
})
