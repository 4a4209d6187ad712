/**
 * @ethwire/downloader — full and fast sync of an Ethereum chain from many `eth` peers at once.
 *
 * Finds the common ancestor with a master peer (a spread request, then a binary search,
 * bounded by the maximum fork ancestry), fetches a header skeleton from it, fills the gaps and
 * downloads bodies (in a fast sync also receipts and the pivot's state, through a `StateSync`
 * scheduler) from every idle peer in one fetch loop (sized by each peer's measured throughput,
 * with time-to-live from the round-trip estimate), checks everything against its header, and
 * imports in order while fetching goes on. Peers that lie, send what was not asked, or keep
 * timing out are dropped; the sync goes on with the others.
 *
 * @example
 * ```ts
 * import { createDownloader } from '@ethwire/downloader'
 * import { systemClock } from '@ethwire/interface/runtime'
 *
 * // stateSync: a trie-sync scheduler per state root (fast sync only), e.g. @ethwire/state's
 * const dl = createDownloader({ chain, clock: systemClock, random: Math.random, stateSync }, {})
 * for (const peer of myPeers) dl.registerPeer(peer) // anything implementing DownloaderPeer
 * dl.on('syncDone', ({ result }) => console.log(result.mode, 'imported', result.imported))
 * const best = myPeers[0]
 * await dl.synchronise(best.id, best.head().hash, best.head().td, { mode: 'fast' })
 * ```
 */
export * as constants from './constants.js'
export {
  createDownloader,
  type Downloader,
  type DownloaderDeps,
  type DownloaderEvents,
  type DownloaderOptions,
  type SynchroniseOptions,
  type SyncProgress,
  type SyncResult,
} from './downloader.js'
export { DownloaderError, type DownloaderErrorCode, isDownloaderError } from './errors.js'
export type { FetchKind } from './qos.js'
export type { KindTotals, SyncPhase, SyncTimeline } from './timeline.js'
export type {
  ChainHead,
  Clock,
  DownloaderChain,
  DownloaderPeer,
  Logger,
  MaybePromise,
  PeerHead,
  RandomSource,
  RootHasher,
  StateDelivery,
  StateSync,
  StateSyncFactory,
  StateSyncProgress,
  SyncMode,
} from './types.js'
