/**
 * The parts the manager wires to the chain, the pool and the peer set (go-ethereum's
 * `newHandler`): the block fetcher (imports announced blocks, relays them, drops bad announcers),
 * the tx fetcher (fetches announced transactions into the pool, drops rule breakers) and txsync
 * (our pending transactions to new peers, broadcast policy). Each is created from its package's
 * factory with callbacks that only reach what they are handed here.
 */
import {
  type BlockFetcher,
  type BlockFetcherOptions,
  createBlockFetcher,
  createTxFetcher,
  isFetcherError,
  type TxFetcher,
  type TxFetcherOptions,
} from '@ethwire/fetcher'
import type { Clock } from '@ethwire/interface'
import { errorCode, type TypedEmitter } from '@ethwire/interface/runtime'
import type { Peer, PeerSet } from '@ethwire/peerset'
import type { Transaction } from '@ethwire/rlp-wire'
import { createTxSync, type TxSync } from '@ethwire/txsync'
import { insertedCount, toFetcherPeer } from './adapters.js'
import type { BlockBroadcaster } from './broadcast.js'
import { fromFetcherError } from './drop.js'
import { txOf } from './serve.js'
import type {
  Logger,
  PmChain,
  PmTxPool,
  ProtocolManagerDeps,
  ProtocolManagerEvents,
  ProtocolManagerStats,
  RandomSource,
} from './types.js'

export interface FetcherPartsDeps {
  readonly chain: PmChain
  readonly txPool: PmTxPool | undefined
  readonly verifyHeader: ProtocolManagerDeps['verifyHeader']
  readonly peers: PeerSet<Peer>
  readonly broadcaster: Pick<BlockBroadcaster, 'broadcastBlock' | 'headChanged'>
  readonly stats: Pick<ProtocolManagerStats, 'blocksImportedByFetcher'>
  readonly events: TypedEmitter<ProtocolManagerEvents>
  /** Drops the peer with this id (if still there) for `err`. */
  readonly dropById: (peerId: string, err: Error) => void
  readonly clock: Clock
  readonly random: RandomSource
  readonly log: Logger
}

/** The block and tx fetchers, wired. */
export function createFetchers(
  deps: FetcherPartsDeps,
  options: { blockFetcher?: BlockFetcherOptions; txFetcher?: TxFetcherOptions },
): { blockFetcher: BlockFetcher; txFetcher: TxFetcher } {
  const { chain, txPool, peers, broadcaster, stats, events, dropById, clock, random, log } = deps
  const blockFetcher = createBlockFetcher(
    {
      getBlock: (hash) => chain.getBlockByHash(hash),
      verifyHeader: (header) => deps.verifyHeader?.(header),
      broadcastBlock: (block, propagate) => {
        void broadcaster.broadcastBlock(block, propagate)
      },
      chainHeight: () => chain.currentHeader().number,
      insertChain: async (blocks) => {
        const n = insertedCount(await chain.insertChain(blocks))
        stats.blocksImportedByFetcher += n
        const last = blocks[blocks.length - 1]
        if (last !== undefined && n > 0) {
          events.emit('block:imported', {
            number: last.header.number,
            hash: last.hash,
            count: n,
            source: 'fetcher',
          })
          broadcaster.headChanged()
        }
        return n
      },
      dropPeer: (peerId, reason) => dropById(peerId, fromFetcherError(peerId, reason)),
      clock,
      random,
    },
    options.blockFetcher ?? {},
  )

  const txFetcher = createTxFetcher(
    {
      hasTx: (hash) => txPool?.has(hash) ?? false,
      requestTxs: (peerId, hashes, signal) => {
        const p = peers.get(peerId)
        if (p === undefined) throw new Error(`peer ${peerId} gone`)
        toFetcherPeer(p, { blockFetcher, txFetcher }).requestTxs(hashes, signal)
      },
      // Only reached after acceptTxs: Transactions and announcements are dropped before it. The
      // pool's per-transaction results go back, so a malformed one gets its sender dropped.
      addTxs: async (txs) => (txPool !== undefined ? await txPool.addRemotes(txs) : []),
      penalize: (peerId, err) => {
        // go-ethereum drops the peer for every rule a delivery or announcement breaks.
        log.debug('tx fetcher: peer broke a rule', { peer: peerId, code: errorCode(err) })
        if (isFetcherError(err)) dropById(peerId, fromFetcherError(peerId, err))
      },
      clock,
      random,
    },
    options.txFetcher ?? {},
  )
  return { blockFetcher, txFetcher }
}

/** txsync over the pool's pending transactions, with the broadcast policy of `txAnnounce`. */
export function createTxSyncPart(
  deps: { txPool: PmTxPool | undefined; clock: Clock; random: RandomSource; log: Logger },
  txAnnounce: boolean,
): TxSync<Transaction, Peer> {
  const { txPool, clock, random, log } = deps
  return createTxSync<Transaction, Peer>(
    {
      // Outbound is not gated by acceptTxs (as in go-ethereum): our own transactions go out.
      pending: () => (txPool !== undefined ? txPool.pendingList().map(txOf) : []),
      clock,
      random,
      onPeerFailed: (peer, err) =>
        log.debug('txsync: peer failed', { peer: peer.id, code: err.code }),
      onBroadcastError: () => {},
    },
    {
      // With announcements, a new peer gets our pending hashes, not the transactions (go-ethereum
      // eth/65+): a peer that reconnects does not get the whole pool again in full.
      policy: txAnnounce
        ? { direct: 'sqrt', initialSync: 'announce' }
        : { direct: 'all', initialSync: 'full' },
    },
  )
}
