/**
 * @ethwire/fetcher — the block fetcher (announcement → header → body → import, with per-peer DoS
 * limits) and the transaction fetcher (announcement → GetPooledTransactions), both plain state
 * machines driven by the callbacks they declare and an injected clock.
 *
 * @example
 * ```ts
 * import { createBlockFetcher } from '@ethwire/fetcher'
 * const fetcher = createBlockFetcher({ getBlock, verifyHeader, broadcastBlock, chainHeight, insertChain, dropPeer }, {})
 * await fetcher.start()
 * // NewBlockHashes entry from `peer`:
 * fetcher.notify({ peerId: peer.id, hash, number, fetchHeader: (h) => peer.requestHeadersByHash(h), fetchBodies: (hs) => peer.requestBodies(hs) })
 * // BlockHeaders from `peer`: what the fetcher did not ask for goes on to the downloader
 * const rest = fetcher.filterHeaders(peer.id, headers)
 * ```
 */
export {
  type BlockFetcher,
  type BlockFetcherOptions,
  type BlockFetcherStats,
  type BlockFetchState,
  createBlockFetcher,
  type EnqueueResult,
  type NotifyResult,
} from './block-fetcher.js'
export * as defaults from './constants.js'
export { FetcherError, type FetcherErrorCode, isFetcherError } from './errors.js'
export {
  createTxFetcher,
  type TxFetcher,
  type TxFetcherOptions,
  type TxFetcherStats,
  type TxNotifyResult,
  txNetworkSize,
} from './tx-fetcher.js'
export type {
  BlockAnnouncement,
  BlockFetcherDeps,
  BodiesRequester,
  HeaderRequester,
  MaybePromise,
  TxFetcherDeps,
} from './types.js'
