/**
 * @ethwire/protocol-manager — the eth protocol manager (go-ethereum's `eth/handler.go` and
 * `eth/sync.go`, plus eth/66–69): `handle(conn)` handshakes a peer, registers it and answers its
 * messages through the handler table of its version; the syncer syncs with the best peer when
 * peers arrive and on a timer; blocks are propagated to √n peers and announced to the rest;
 * transactions flow through the tx fetcher, the pool and txsync.
 *
 * @example
 * ```ts
 * import { createProtocolManager } from '@ethwire/protocol-manager'
 * const pm = createProtocolManager({ chain, txPool }, { networkId: 1337n, forkConfig })
 * pm.start()
 * transport.onConnection((conn) => void pm.handle(conn)) // resolves when the peer is gone
 * pm.on('sync:done', ({ result }) => console.log('synced to', result.highest))
 * await pm.stop()
 * ```
 */
export { pickRandom, propagationCount } from './broadcast.js'
export * as constants from './constants.js'
export { isProtocolError, ProtocolError, type ProtocolErrorCode } from './errors.js'
export { type HandlerContext, handlerTable, type MsgHandler } from './handlers.js'
export {
  createProtocolManager,
  type PeerInfo,
  type ProtocolManager,
  type ProtocolManagerDeps,
  type ProtocolManagerEvents,
  type ProtocolManagerOptions,
  type ProtocolManagerStats,
  type SyncingStatus,
} from './manager.js'
export {
  answerGetBlockBodies,
  answerGetBlockHeaders,
  answerGetNodeData,
  answerGetPooledTransactions,
  answerGetReceipts,
  type HeaderQueryResult,
  type ServeLimits,
  serveLimits,
  txOf,
} from './serve.js'
export type {
  Clock,
  Logger,
  MaybePromise,
  PmChain,
  PmTxPool,
  PooledTx,
  RandomSource,
  ServeChain,
  ServeTxPool,
} from './types.js'
