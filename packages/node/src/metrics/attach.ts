/**
 * Attach functions: each subscribes a registry to one event source (types.ts) and returns the
 * detach function. With a disabled registry they subscribe to nothing and return an empty
 * function, so `--metrics` off costs no listener and no sampler.
 */
import type { MetricsRegistry } from './registry.js'
import type {
  BlockFetcherEvent,
  ChainSource,
  PmSource,
  PmStatsLike,
  PoolSource,
  SyncStatusLike,
  TxFetcherEvent,
} from './types.js'

/** Undoes an attach: unsubscribes its listeners and removes its sampler. */
export type Detach = () => void

const noop: Detach = () => {}

export interface AttachProtocolManagerOptions {
  /**
   * Feed `ethwire_{block,tx}_fetcher_events_total` from the protocol manager's cumulative
   * `stats()` at each scrape (announced / known hashes, broadcast / known transactions, pooled
   * replies, NewBlockHashes messages, NewBlock, fetcher imports). Set it false once the fetchers
   * call `metrics.fetcherObserver` themselves, or those events are counted twice. Default true.
   */
  fetcherCountersFromStats?: boolean
}

/** Which cumulative `PmStatsLike` field feeds which fetcher event. */
const txStatEvents: ReadonlyArray<readonly [keyof PmStatsLike, TxFetcherEvent]> = [
  ['txHashesAnnounced', 'announce_in'],
  ['txHashesAnnouncedKnown', 'announce_known'],
  ['txsBroadcastReceived', 'broadcast_in'],
  ['txsBroadcastKnown', 'broadcast_known'],
  ['pooledTxsReceived', 'reply_in'],
  ['pooledTxsKnown', 'reply_known'],
]
const blockStatEvents: ReadonlyArray<readonly [keyof PmStatsLike, BlockFetcherEvent]> = [
  ['newBlockHashesReceived', 'announce_in'],
  ['newBlockReceived', 'broadcast_in'],
  ['blocksImportedByFetcher', 'import'],
]

/**
 * Peers (gauge at each scrape from `peerInfos()`, connects and drops from the events), sync
 * progress (`syncing()` and the downloader's `progress()` at each scrape, rounds from the
 * events), blocks imported by source, the fetchers' state and, by default, their counters
 * (see {@link AttachProtocolManagerOptions}). `@ethwire/protocol-manager`'s manager fits.
 */
export function attachProtocolManager(
  metrics: MetricsRegistry,
  pm: PmSource,
  options: AttachProtocolManagerOptions = {},
): Detach {
  if (!metrics.enabled) return noop
  const fromStats = options.fetcherCountersFromStats ?? true
  const offs = [
    pm.on('peer:added', (peer) => metrics.peerConnected(peer)),
    pm.on('peer:removed', (peer) => metrics.peerDropped(peer.error ?? 'closed')),
    pm.on('block:imported', (e) => metrics.blocksImported(e.count, e.source)),
    pm.on('sync:done', () => metrics.syncFinished(true)),
    pm.on('sync:failed', () => metrics.syncFinished(false)),
  ]
  const last = new Map<keyof PmStatsLike, number>()
  /** How much a cumulative counter grew since the last scrape (all of it after a reset). */
  const delta = (stats: PmStatsLike, key: keyof PmStatsLike): number => {
    const now = stats[key]
    if (now === undefined) return 0
    const before = last.get(key) ?? 0
    last.set(key, now)
    return now >= before ? now - before : now
  }
  offs.push(
    metrics.onScrape(() => {
      metrics.setPeers(pm.peerInfos())
      const status = pm.syncing()
      const progress = pm.parts?.downloader?.progress()
      metrics.setSync(status === false ? false : withStates(status, progress))
      const bf = pm.parts?.blockFetcher?.stats()
      if (bf !== undefined) metrics.setBlockFetcher(bf)
      const tf = pm.parts?.txFetcher?.stats()
      if (tf !== undefined) metrics.setTxFetcher(tf)
      const stats = fromStats ? pm.stats?.() : undefined
      if (stats !== undefined) {
        for (const [key, event] of txStatEvents) {
          const n = delta(stats, key)
          if (n > 0) metrics.fetcherObserver.tx(event, n)
        }
        for (const [key, event] of blockStatEvents) {
          const n = delta(stats, key)
          if (n > 0) metrics.fetcherObserver.block(event, n)
        }
      }
    }),
  )
  return () => {
    for (const off of offs) off()
  }
}

function withStates(status: SyncStatusLike, progress: SyncStatusLike | undefined): SyncStatusLike {
  if (progress?.pulledStates === undefined && progress?.knownStates === undefined) return status
  return {
    startingBlock: status.startingBlock,
    currentBlock: status.currentBlock,
    highestBlock: status.highestBlock,
    ...(progress.pulledStates !== undefined ? { pulledStates: progress.pulledStates } : {}),
    ...(progress.knownStates !== undefined ? { knownStates: progress.knownStates } : {}),
  }
}

/**
 * Head (set at attach from `currentHeader()`, then on every head event), reorganisations, and
 * import / execution time from the `import` event (the hook `@ethwire/chain` has to add).
 * `@ethwire/chain`'s `Chain` fits.
 */
export function attachChain(metrics: MetricsRegistry, chain: ChainSource): Detach {
  if (!metrics.enabled) return noop
  const current = chain.currentHeader?.()
  if (current !== undefined) metrics.setHead(current.number)
  const off = chain.on((e) => {
    switch (e.type) {
      case 'head':
        metrics.setHead(e.header.number)
        break
      case 'reorg':
        metrics.reorg(e.oldHead.number - e.ancestor)
        break
      case 'import':
        metrics.blockImport(
          e.elapsedMs / 1000,
          e.executionMs !== undefined ? e.executionMs / 1000 : undefined,
        )
        break
    }
  })
  return () => {
    off()
  }
}

/** Pool sizes at each scrape: `stats()` when the pool has it, else `status()`. */
export function attachTxPool(metrics: MetricsRegistry, pool: PoolSource): Detach {
  if (!metrics.enabled) return noop
  return metrics.onScrape(() => {
    const s = pool.stats?.() ?? pool.status?.()
    if (s !== undefined) metrics.setTxPool(s)
  })
}

/** The sources of one node; any may be left out. */
export interface NodeSources {
  pm?: PmSource
  chain?: ChainSource
  txPool?: PoolSource
}

/** Every attach of {@link NodeSources} in one call; one detach for all. */
export function attachNode(
  metrics: MetricsRegistry,
  sources: NodeSources,
  options: AttachProtocolManagerOptions = {},
): Detach {
  if (!metrics.enabled) return noop
  const offs: Detach[] = []
  if (sources.pm !== undefined) offs.push(attachProtocolManager(metrics, sources.pm, options))
  if (sources.chain !== undefined) offs.push(attachChain(metrics, sources.chain))
  if (sources.txPool !== undefined) offs.push(attachTxPool(metrics, sources.txPool))
  return () => {
    for (const off of offs) off()
  }
}
