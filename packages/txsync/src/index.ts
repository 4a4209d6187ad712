/**
 * @ethwire/txsync — hands a new peer our pending transactions in packs (one pack in flight
 * across all peers, next peer at random) and decides who gets a new transaction in full and
 * who by hash. Generic over the narrow peer and transaction interfaces in `types.ts`; usable
 * without the rest of ethwire.
 *
 * @example
 * ```ts
 * import { createTxSync } from '@ethwire/txsync'
 * const sync = createTxSync({ pending: () => myPool.pendingTxs() })
 * await sync.start()
 * sync.addPeer(peer) // { id, version, knowsTx, markTransaction, sendTransactions, sendPooledTransactionHashes }
 * sync.broadcast(newTxs) // eth/66+: √n in full, the rest by hash
 * ```
 */
export {
  blobTxType,
  defaultAnnounceFromVersion,
  maxAnnounceHashes,
  packTimeoutMs,
  txsyncPackSizeBytes,
  typedAnnouncementsVersion,
} from './constants.js'
export { isTxSyncError, TxSyncError, type TxSyncErrorCode } from './errors.js'
export {
  type BroadcastPolicy,
  type BroadcastSummary,
  createTxSync,
  type TxSync,
  type TxSyncDeps,
  type TxSyncOptions,
} from './txsync.js'
export type { TxSyncPeer, TxSyncTx } from './types.js'
