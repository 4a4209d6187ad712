/**
 * @ethwire/downloader — full sync of an Ethereum chain from many `eth` peers at once.
 *
 * Finds the common ancestor with a master peer (a spread request, then a binary search,
 * bounded by the maximum fork ancestry), fetches a header skeleton from it, fills the gaps and
 * downloads bodies from every idle peer (sized by each peer's measured throughput, with
 * time-to-live from the round-trip estimate), checks every body against its header, and
 * imports in order while fetching goes on. Peers that lie, send what was not asked, or keep
 * timing out are dropped; the sync goes on with the others.
 *
 * @example
 * ```ts
 * import { createDownloader, systemClock } from '@ethwire/downloader'
 *
 * const dl = createDownloader({ chain, clock: systemClock, random: Math.random }, {})
 * for (const peer of myPeers) dl.registerPeer(peer) // anything implementing DownloaderPeer
 * dl.on('syncDone', ({ result }) => console.log('imported', result.imported))
 * const best = myPeers[0]
 * await dl.synchronise(best.id, best.head().hash, best.head().td)
 * ```
 */
export { systemClock } from './clock.js'
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
export type {
  ChainHead,
  Clock,
  DownloaderChain,
  DownloaderPeer,
  Logger,
  MaybePromise,
  PeerHead,
  RandomSource,
  StateDelivery,
  StateSync,
  StateSyncFactory,
  StateSyncProgress,
  SyncMode,
} from './types.js'
