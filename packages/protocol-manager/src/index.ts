/**
 * @ethwire/protocol-manager — the eth protocol manager (go-ethereum's `eth/handler.go` and
 * `eth/sync.go`, plus eth/66–70): `handle(conn)` handshakes a peer, registers it and answers its
 * messages through the handler table of its version; the syncer syncs with the best peer when
 * peers arrive and on a timer; blocks are propagated to √n peers and announced to the rest;
 * transactions flow through the tx fetcher, the pool and txsync. The adapters that turn a live
 * peer into a downloader or fetcher peer are exported (`toDownloaderPeer`, `toFetcherPeer`).
 *
 * @example
 * ```ts
 * import { createProtocolManager } from '@ethwire/protocol-manager'
 * const pm = createProtocolManager({ chain, txPool }, { networkId: 1337n, forkConfig })
 * await pm.start()
 * transport.onConnection((conn) => void pm.handle(conn)) // resolves when the peer is gone
 * pm.on('sync:done', ({ result }) => console.log('synced to', result.highest))
 * await pm.stop()
 * ```
 */
export {
  type DownloaderPeerOptions,
  type FetcherPeer,
  type FetcherSinks,
  hasFastSync,
  insertedCount,
  requestReceiptsEth70,
  toDownloaderChain,
  toDownloaderPeer,
  toFetcherPeer,
} from './adapters.js'
export { hasBlockAnnouncements, pickRandom, propagationCount } from './broadcast.js'
export * as constants from './constants.js'
export { fromDownloaderError, fromFetcherError, offenceOfDrop } from './drop.js'
export {
  isProtocolError,
  isProtocolManagerError,
  ProtocolError,
  type ProtocolErrorCode,
  ProtocolManagerError,
  type ProtocolManagerErrorCode,
} from './errors.js'
export { type HandlerContext, handlerTable, type MsgHandler } from './handlers.js'
export { createProtocolManager } from './manager.js'
export { createReceiptRequests } from './receipts.js'
export {
  answerGetBlockBodies,
  answerGetBlockBodiesRaw,
  answerGetBlockHeaders,
  answerGetNodeData,
  answerGetPooledTransactions,
  answerGetReceipts,
  answerGetReceiptsEth70,
  type HeaderQueryResult,
  type ServeCounts,
  serveLimits,
  txOf,
} from './serve.js'
export { nextSyncMode } from './syncer.js'
export type {
  Clock,
  DaoForkConfig,
  DropInfo,
  FloodKind,
  Logger,
  MaybePromise,
  Offence,
  OffenceInfo,
  OffenceKind,
  PeerInfo,
  PeerKind,
  PmChain,
  PmTxPool,
  PooledTx,
  ProtocolManager,
  ProtocolManagerDeps,
  ProtocolManagerEvents,
  ProtocolManagerOptions,
  ProtocolManagerParts,
  ProtocolManagerStats,
  RandomSource,
  ReceiptRequests,
  ReceiptsAnswer,
  ReceiptsDelivery,
  RefusedInfo,
  ReportOutcome,
  ServeChain,
  ServeLimits,
  ServeTxPool,
  StateSyncFactory,
  SyncingStatus,
  SyncMode,
} from './types.js'
