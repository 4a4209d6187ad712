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
import {
  type Block,
  type BlockBody,
  type BlockHeader,
  checkPartialReceipts,
  equalBytes,
  isWireError,
  minTxGas,
  type ReceiptData,
  type Transaction,
} from '@ethwire/rlp-wire'
import { maxPartialReceiptRounds, minTxGasAmsterdam } from './constants.js'
import { isProtocolError, ProtocolError } from './errors.js'
import type { ReceiptRequests } from './receipts.js'
import type { MaybePromise, PmChain } from './types.js'

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
  /**
   * eth/70: the tracker that sends `GetReceipts` with `firstBlockReceiptIndex` and sees
   * `lastBlockIncomplete` (the manager's; whoever reads the peer's messages must offer every
   * `Receipts` to its `deliver` first). Without it an eth/70 peer offers no `requestReceipts`.
   */
  receipts?: ReceiptRequests
  /**
   * eth/70: a cut receipts answer broke EIP-7975's checks (`ProtocolError('ErrInvalidReceipts')`):
   * the manager drops the peer. The downloader's request rejects with the same error.
   */
  onProtocolError?: (error: ProtocolError) => void
  /**
   * eth/70: the header of a block whose receipts came cut (its gas used bounds the checks).
   * Default, or when it resolves to nothing: ask the same peer for it by hash (one header,
   * checked against the hash).
   */
  headerOf?: (hash: Uint8Array) => MaybePromise<BlockHeader | undefined>
}

/**
 * The peer as the downloader needs it (`DownloaderPeer`): its advertised head (TD on eth/62–68,
 * the block range's latest block on eth/69+), header requests by number and by hash, bodies,
 * receipts on eth/63+ (eth/70: cut blocks continued, see {@link requestReceiptsEth70}) and node
 * data on eth/63–66 (`GetNodeData` is gone from eth/67). The downloader's `signal` is the only
 * timeout: the peer only matches answers to requests.
 */
export function toDownloaderPeer(peer: Peer, opts: DownloaderPeerOptions = {}): DownloaderPeer {
  const v = peer.version
  const receipts =
    v >= 70
      ? opts.receipts !== undefined
        ? {
            requestReceipts: (hashes: Uint8Array[], signal: AbortSignal) =>
              requestReceiptsEth70(peer, opts.receipts!, hashes, signal, opts),
          }
        : {}
      : v >= 63
        ? {
            requestReceipts: (hashes: Uint8Array[], signal: AbortSignal) =>
              peer.requestReceipts(hashes, { signal }),
          }
        : {}
  const nodeData =
    v >= 63 && v <= 66
      ? {
          requestNodeData: (hashes: Uint8Array[], signal: AbortSignal) =>
            peer.requestNodeData(hashes, { signal }),
        }
      : {}
  return {
    ...receipts,
    ...nodeData,
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
 * difficulty, lookups, and `insertChain` counting what was inserted; with the chain's fast-sync
 * methods (see {@link hasFastSync}) also `currentFastBlock`, `insertReceiptChain` and
 * `commitFastSyncHead`.
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
    ...fastSyncMethods(chain),
  }
}

/** Whether `chain` has the three fast-sync methods (and so can be synced fast). */
export function hasFastSync(chain: PmChain): boolean {
  return (
    chain.currentFastHeader !== undefined &&
    chain.insertReceiptChain !== undefined &&
    chain.commitFastSyncHead !== undefined
  )
}

function fastSyncMethods(
  chain: PmChain,
): Pick<DownloaderChain, 'currentFastBlock' | 'insertReceiptChain' | 'commitFastSyncHead'> {
  if (!hasFastSync(chain)) return {}
  return {
    currentFastBlock: async () => {
      const h = chain.currentFastHeader!()
      return { number: h.number, hash: h.hash, td: (await chain.getTd(h.hash, h.number)) ?? 0n }
    },
    insertReceiptChain: async (blocks, receipts, options) =>
      insertedCount(await chain.insertReceiptChain!(blocks, receipts, undefined, options)),
    commitFastSyncHead: (hash, number) => chain.commitFastSyncHead!(hash, number),
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

/**
 * eth/70 receipts with continuation (EIP-7975, as go-ethereum's `bufferReceipts` /
 * `requestPartialReceipts`): asks for `hashes`; while an answer comes with `lastBlockIncomplete`,
 * keeps the cut block's receipts and asks the same peer for the rest (from that block on, with
 * `firstBlockReceiptIndex` = the receipts held), then merges. Each cut list — everything held for
 * that block so far — must pass `checkPartialReceipts` against the block's gas used (at most
 * gasUsed / 21,000 receipts, 4,500 from Amsterdam; cumulative gas in order and within gasUsed; log
 * bytes within gasUsed / 8), must grow every round, and a block gets at most
 * {@link maxPartialReceiptRounds} rounds; otherwise the request rejects with
 * `ProtocolError('ErrInvalidReceipts')` (also handed to `onProtocolError`). A continuation answered
 * with no list (the peer no longer has the block) ends the answer before the cut block. The
 * complete lists are checked against their headers' receipts roots by the downloader.
 */
export async function requestReceiptsEth70(
  peer: Peer,
  tracker: ReceiptRequests,
  hashes: Uint8Array[],
  signal: AbortSignal,
  opts: Pick<DownloaderPeerOptions, 'onProtocolError' | 'headerOf'> = {},
): Promise<ReceiptData[][]> {
  const invalid = (why: string, cause?: unknown): never => {
    const err = new ProtocolError('ErrInvalidReceipts', peer.id, why, {
      ...(cause !== undefined ? { cause } : {}),
      msgCode: 0x10,
    })
    opts.onProtocolError?.(err)
    throw err
  }
  const out: ReceiptData[][] = []
  /** Receipts held of block `hashes[out.length]`, which came cut. */
  let held: ReceiptData[] | undefined
  let header: BlockHeader | undefined
  let rounds = 0
  for (;;) {
    const rest = hashes.slice(out.length)
    let answer: Awaited<ReturnType<ReceiptRequests['request']>>
    try {
      answer = await tracker.request(peer, rest, BigInt(held?.length ?? 0), signal)
    } catch (err) {
      if (isProtocolError(err)) opts.onProtocolError?.(err)
      throw err
    }
    let lists = answer.receipts
    if (held !== undefined) {
      if (lists.length === 0) return out // the peer no longer serves the cut block
      lists = [held.concat(lists[0]!), ...lists.slice(1)]
    }
    if (!answer.lastBlockIncomplete) {
      out.push(...lists)
      return out
    }
    const last = lists[lists.length - 1]!
    const sameBlock = held !== undefined && lists.length === 1
    if (sameBlock) {
      if (last.length <= held!.length) invalid('a continuation added no receipt to the cut block')
      if (++rounds > maxPartialReceiptRounds)
        invalid(`${rounds} continuations for one block's receipts`)
    } else {
      rounds = 1
      header = undefined
    }
    out.push(...lists.slice(0, -1))
    const hash = hashes[out.length]!
    header ??= await headerFor(peer, hash, signal, opts.headerOf, invalid)
    try {
      checkPartialReceipts(last, {
        gasUsed: header.gasUsed,
        // Amsterdam headers carry the block access list hash (EIP-7928).
        minTxGas: header.blockAccessListHash !== undefined ? minTxGasAmsterdam : minTxGas,
      })
    } catch (err) {
      if (isWireError(err)) invalid(`block #${header.number}: ${err.message}`, err)
      throw err
    }
    held = last
  }
}

async function headerFor(
  peer: Peer,
  hash: Uint8Array,
  signal: AbortSignal,
  headerOf: DownloaderPeerOptions['headerOf'],
  invalid: (why: string) => never,
): Promise<BlockHeader> {
  const known = await headerOf?.(hash)
  if (known !== undefined) return known
  const [h] = await peer.requestHeadersByHash({ hash, amount: 1 }, { signal })
  if (h === undefined || !equalBytes(h.hash, hash))
    return invalid('no header for the block whose receipts came cut')
  return h
}
