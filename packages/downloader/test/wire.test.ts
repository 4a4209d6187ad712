/**
 * The downloader driven through real eth messages: a small third-party peer adapter over an
 * in-memory `EthConnection` (rlp-wire's msgPipe, eth/68 request ids) against a server loop
 * answering GetBlockHeaders / GetBlockBodies from a chain. Real clock; everything in memory.
 */

import { systemClock } from '@ethwire/interface/runtime'
import { seededRandom } from '@ethwire/interface/testing'
import {
  type BlockBody,
  type BlockHeader,
  decodeMessage,
  type EthConnection,
  type EthMessage,
  encodeMessage,
} from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createDownloader,
  type Downloader,
  type DownloaderError,
  type DownloaderPeer,
} from '../src/index.js'
import { buildChain, checkDownloaderPeer, MemoryChain, type TestChain } from '../src/testing.js'

const VERSION = 68
const data = buildChain({ length: 1200, seed: 21 })

async function send(conn: EthConnection, msg: EthMessage): Promise<void> {
  const { code, payload } = encodeMessage(VERSION, msg)
  await conn.writeMsg(code, payload)
}

/** Serve headers and bodies from `chain` until the connection closes. */
async function serve(conn: EthConnection, chain: TestChain, opts: { junkEvery?: number } = {}) {
  const byHash = new Map(chain.blocks.map((b) => [Buffer.from(b.hash).toString('hex'), b]))
  let served = 0
  for (;;) {
    let msg: EthMessage
    try {
      msg = decodeMessage(VERSION, await conn.readMsg())
    } catch {
      return
    }
    served++
    if (opts.junkEvery !== undefined && served % opts.junkEvery === 0) {
      // An answer to a request nobody made.
      await send(conn, { name: 'BlockHeaders', requestId: 999_999n, headers: [] }).catch(() => {})
    }
    if (msg.name === 'GetBlockHeaders') {
      const { origin, amount, skip, reverse } = msg.request
      let n =
        'number' in origin
          ? Number(origin.number)
          : Number(byHash.get(Buffer.from(origin.hash).toString('hex'))?.header.number ?? -1)
      const headers: BlockHeader[] = []
      while (n >= 0 && n < chain.blocks.length && headers.length < Number(amount)) {
        headers.push(chain.blocks[n]!.header)
        n += reverse ? -(Number(skip) + 1) : Number(skip) + 1
      }
      await send(conn, { name: 'BlockHeaders', requestId: msg.requestId, headers }).catch(() => {})
    } else if (msg.name === 'GetBlockBodies') {
      const bodies: BlockBody[] = []
      for (const h of msg.hashes) {
        const b = byHash.get(Buffer.from(h).toString('hex'))
        if (b === undefined) break
        bodies.push(b.body())
      }
      await send(conn, { name: 'BlockBodies', requestId: msg.requestId, bodies }).catch(() => {})
    }
  }
}

/** What a peer layer would do: request ids, response matching, unmatched answers reported. */
function wirePeer(
  id: string,
  conn: EthConnection,
  head: { hash: Uint8Array; td: bigint },
  reportUnrequested: (id: string, what: string) => void,
): DownloaderPeer {
  let nextId = 1n
  const pending = new Map<bigint, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  void (async () => {
    for (;;) {
      let msg: EthMessage
      try {
        msg = decodeMessage(VERSION, await conn.readMsg())
      } catch (err) {
        for (const p of pending.values()) p.reject(err)
        pending.clear()
        return
      }
      if (msg.name !== 'BlockHeaders' && msg.name !== 'BlockBodies') continue
      const p = msg.requestId === undefined ? undefined : pending.get(msg.requestId)
      if (p === undefined) {
        reportUnrequested(id, msg.name)
        continue
      }
      pending.delete(msg.requestId!)
      p.resolve(msg.name === 'BlockHeaders' ? msg.headers : msg.bodies)
    }
  })()
  function request<T>(msg: EthMessage, signal: AbortSignal): Promise<T> {
    const requestId = nextId++
    return new Promise<T>((resolve, reject) => {
      pending.set(requestId, { resolve: resolve as (v: unknown) => void, reject })
      signal.addEventListener(
        'abort',
        () => {
          pending.delete(requestId)
          reject(signal.reason)
        },
        { once: true },
      )
      send(conn, { ...msg, requestId } as EthMessage).catch(reject)
    })
  }
  return {
    id,
    head: () => head,
    requestHeadersByNumber: (number, amount, skip, reverse, signal) =>
      request(
        {
          name: 'GetBlockHeaders',
          request: { origin: { number }, amount: BigInt(amount), skip: BigInt(skip), reverse },
        },
        signal,
      ),
    requestHeadersByHash: (hash, amount, skip, reverse, signal) =>
      request(
        {
          name: 'GetBlockHeaders',
          request: { origin: { hash }, amount: BigInt(amount), skip: BigInt(skip), reverse },
        },
        signal,
      ),
    requestBodies: (hashes, signal) => request({ name: 'GetBlockBodies', hashes }, signal),
    drop: () => {
      void conn.close(0x10)
    },
  }
}

describe('over eth/68 messages (msgPipe)', () => {
  const conns: EthConnection[] = []
  let dl: Downloader | undefined
  afterEach(async () => {
    await dl?.stop()
    for (const c of conns) await c.close()
    conns.length = 0
  })

  function connect(id: string, opts: { junkEvery?: number } = {}): DownloaderPeer {
    const [client, server] = msgPipe({ version: VERSION })
    conns.push(client, server)
    void serve(server, data, opts)
    return wirePeer(id, client, { hash: data.head.hash, td: data.tds[1200]! }, (peer, what) =>
      dl?.reportUnrequested(peer, what),
    )
  }

  it('passes the DownloaderPeer compliance check', async () => {
    expect(await checkDownloaderPeer(connect('check'), data.blocks)).toEqual([])
  })

  it('syncs 1200 blocks from two wire peers', async () => {
    const chain = new MemoryChain(data.blocks.slice(0, 1))
    dl = createDownloader({ chain, clock: systemClock, random: seededRandom(5) })
    dl.registerPeer(connect('w1'))
    dl.registerPeer(connect('w2'))
    const result = await dl.synchronise('w1', data.head.hash, data.tds[1200])
    expect(result.imported).toBe(1200)
    expect(chain.currentBlock().hash).toEqual(data.head.hash)
  })

  it('drops a wire peer that keeps sending answers nobody asked for', async () => {
    const chain = new MemoryChain(data.blocks.slice(0, 1))
    dl = createDownloader({ chain, clock: systemClock, random: seededRandom(6) })
    const dropped: DownloaderError[] = []
    dl.on('peerDropped', (e) => dropped.push(e.error))
    dl.registerPeer(connect('honest'))
    dl.registerPeer(connect('noisy', { junkEvery: 2 }))
    const result = await dl.synchronise('honest', data.head.hash, data.tds[1200])
    expect(result.imported).toBe(1200)
    expect(dropped.map((e) => [e.peerId, e.code])).toEqual([['noisy', 'ErrUnrequestedData']])
    expect(dl.peerIds()).toEqual(['honest'])
  })
})
