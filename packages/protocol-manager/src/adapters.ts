/**
 * The adapters between the live peer (`@ethwire/peerset`'s `Peer`) and chain (`PmChain`) and what
 * the downloader and the fetchers declare they consume (go-ethereum's `eth/handler.go` glue and
 * `downloader/peer.go`'s `Peer` interface). Exported, so the production adapters can be checked
 * on their own (`checkDownloaderPeer` of `@ethwire/downloader/testing` runs against
 * `toDownloaderPeer`) and reused by anyone composing the packages without the manager.
 */
import type { DownloaderChain, DownloaderError, DownloaderPeer } from '@ethwire/downloader'
import type { BodiesRequester, HeaderRequester } from '@ethwire/fetcher'
import type { Peer } from '@ethwire/peerset'
import type { Block, BlockBody, BlockHeader, Transaction } from '@ethwire/rlp-wire'
import type { PmChain } from './types.js'

/** How many blocks `insertChain` and friends report: a number, or `{ inserted }` (`@ethwire/chain`). */
export function insertedCount(r: number | { readonly inserted: number }): number {
  return typeof r === 'number' ? r : r.inserted
}

export interface DownloaderPeerOptions {
  /**
   * The downloader gave up on the peer (misbehaviour or repeated timeouts): disconnect it. The
   * manager drops it with the reason the error's code calls for. Default: nothing.
   */
  drop?: (error: DownloaderError) => void
}

/**
 * The peer as the downloader needs it (`DownloaderPeer`): its advertised head (TD on eth/62–68,
 * the block range's latest block on eth/69+), header requests by number and by hash, and bodies.
 * The downloader's `signal` is the only timeout: the peer only matches answers to requests.
 */
export function toDownloaderPeer(peer: Peer, opts: DownloaderPeerOptions = {}): DownloaderPeer {
  return {
    id: peer.id,
    head: () => ({
      hash: peer.headHash,
      ...(peer.td !== undefined ? { td: peer.td } : {}),
      ...(peer.blockRange !== undefined ? { number: peer.blockRange.latestBlock } : {}),
    }),
    requestHeadersByNumber: (origin, amount, skip, reverse, signal) =>
      peer.requestHeadersByNumber({ number: origin, amount, skip, reverse }, { signal }),
    requestHeadersByHash: (hash, amount, skip, reverse, signal) =>
      peer.requestHeadersByHash({ hash, amount, skip, reverse }, { signal }),
    requestBodies: (hashes, signal) => peer.requestBodies(hashes, { signal }),
    drop: (error) => opts.drop?.(error),
  }
}

/**
 * The chain as the downloader imports into it (`DownloaderChain`): head with its total
 * difficulty, lookups, and `insertChain` counting what was inserted.
 */
export function toDownloaderChain(chain: PmChain): DownloaderChain {
  return {
    currentBlock: async () => {
      const h = chain.currentHeader()
      return { number: h.number, hash: h.hash, td: (await chain.getTd(h.hash, h.number)) ?? 0n }
    },
    hasBlock: (hash, n) => chain.hasBlock(hash, n),
    getHeaderByNumber: (n) => chain.getHeaderByNumber(n),
    getTd: (hash, n) => chain.getTd(hash, n),
    insertChain: async (blocks: Block[]) => insertedCount(await chain.insertChain(blocks)),
  }
}

/** Where the fetcher peer's answers go: the block fetcher's filters and the tx fetcher's queue. */
export interface FetcherSinks {
  readonly blockFetcher: {
    filterHeaders(peerId: string, headers: BlockHeader[]): unknown
    filterBodies(peerId: string, bodies: BlockBody[]): unknown
  }
  readonly txFetcher: {
    enqueue(peerId: string, txs: Transaction[], direct: boolean): unknown
  }
}

/** The peer as the block and tx fetchers ask it: fire-and-forget requests whose answers go to the sinks. */
export interface FetcherPeer {
  readonly id: string
  /** `GetBlockHeaders` for one hash; the answer goes to `blockFetcher.filterHeaders`. */
  readonly fetchHeader: HeaderRequester
  /** `GetBlockBodies`; the answer goes to `blockFetcher.filterBodies`. */
  readonly fetchBodies: BodiesRequester
  /** `GetPooledTransactions`; the answer goes to `txFetcher.enqueue(id, txs, true)`. */
  requestTxs(hashes: Uint8Array[], signal: AbortSignal): void
}

/**
 * The peer as the fetchers need it. The requests are fire and forget: each fetcher owns its
 * timeout and aborts `signal` once it no longer waits; the answer, when it comes, is handed to the
 * fetcher (a failed or aborted request delivers nothing, which the fetcher treats as a timeout).
 */
export function toFetcherPeer(peer: Peer, sinks: FetcherSinks): FetcherPeer {
  return {
    id: peer.id,
    fetchHeader: (hash, signal) => {
      peer.requestHeadersByHash({ hash, amount: 1 }, { signal }).then(
        (headers) => void sinks.blockFetcher.filterHeaders(peer.id, headers),
        () => {},
      )
    },
    fetchBodies: (hashes, signal) => {
      peer.requestBodies(hashes, { signal }).then(
        (bodies) => void sinks.blockFetcher.filterBodies(peer.id, bodies),
        () => {},
      )
    },
    requestTxs: (hashes, signal) => {
      peer.requestPooledTransactions(hashes, { signal }).then(
        (txs) => void sinks.txFetcher.enqueue(peer.id, txs, true),
        () => {},
      )
    },
  }
}
