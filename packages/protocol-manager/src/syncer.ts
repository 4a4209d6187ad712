/**
 * The syncer (go-ethereum's `eth/sync.go` `chainSyncer`): when a peer arrives and at least
 * `minSyncPeers` peers are there, and every `syncIntervalMs` regardless (the forced sync), it
 * picks the best peer (highest total difficulty; with only eth/69+ peers, highest latest block)
 * and syncs with it through the downloader if it is ahead of us. One sync at a time. After a
 * completed sync our new head is announced and eth/69+ peers get our block range. A round that
 * finds the best peer not ahead of us also ends the initial sync (we are in sync with it).
 */
import type { Downloader, SyncResult } from '@ethwire/downloader'
import type { Clock } from '@ethwire/interface'
import { errorCode, type TypedEmitter } from '@ethwire/interface/runtime'
import type { Peer, PeerSet } from '@ethwire/peerset'
import type { BlockBroadcaster } from './broadcast.js'
import type { Logger, PmChain, ProtocolManagerEvents } from './types.js'

export interface SyncerDeps {
  readonly chain: Pick<PmChain, 'currentHeader' | 'getTd' | 'getBlockByHash'>
  readonly peers: PeerSet<Peer>
  readonly downloader: Downloader
  readonly clock: Clock
  readonly log: Logger
  readonly events: TypedEmitter<ProtocolManagerEvents>
  readonly broadcaster: Pick<BlockBroadcaster, 'broadcastBlock' | 'headChanged'>
  /**
   * A sync cycle completed, or a round found the best peer not ahead of us: the node is synced
   * (turns on acceptTxs). A failed sync does not call it.
   */
  readonly onSynced: () => void
}

export interface SyncerOptions {
  /** Peers needed before an arriving peer triggers a sync (clamped to `maxPeers`). */
  readonly minSyncPeers: number
  readonly maxPeers: number
  readonly syncIntervalMs: number
}

export interface Syncer {
  /** Arms the forced-sync timer. */
  start(): void
  /** Clears the timer and waits for a sync in flight to end (stop the downloader first). */
  stop(): Promise<void>
  /** A peer registered (go-ethereum's `handlePeerEvent`): with enough peers, sync with the best. */
  peerAdded(): void
  /** Syncs with `peer` if it is ahead; no-op while another sync runs or when stopped. */
  synchronise(peer: Peer | undefined): Promise<void>
  /** One round now (what the timer does): sync with the best peer if it is ahead. */
  syncNow(): Promise<void>
}

export function createSyncer(deps: SyncerDeps, options: SyncerOptions): Syncer {
  const { chain, peers, downloader, clock, log, events, broadcaster } = deps
  const minPeers = Math.min(options.minSyncPeers, options.maxPeers)
  let running = false
  let timer: unknown
  let inFlight: Promise<void> | undefined

  /** Our head is behind the peer's: by TD on eth/62–68, by latest block on eth/69+. */
  const peerAhead = async (peer: Peer): Promise<boolean> => {
    const head = chain.currentHeader()
    if (peer.td !== undefined) {
      const ourTd = (await chain.getTd(head.hash, head.number)) ?? 0n
      return peer.td > ourTd
    }
    const latest = peer.blockRange?.latestBlock
    return latest !== undefined && latest > head.number
  }

  const doSync = async (peer: Peer): Promise<void> => {
    const ahead = await peerAhead(peer)
    if (!running || peer.closed) return
    if (!ahead) {
      // The sync attempt is over and nobody is ahead: we are in sync. go-ethereum turns on
      // transaction processing once a sync attempt finishes, so a node whose peers are not
      // ahead (the first node of a network, one restarted at the head) takes transactions.
      deps.onSynced()
      return
    }
    const ourHead = chain.currentHeader().number
    events.emit('sync:start', { peerId: peer.id, ourHead })
    log.info('sync started', { peer: peer.id, ourHead })
    let result: SyncResult
    try {
      result = await downloader.synchronise(peer.id, peer.headHash, peer.td)
    } catch (err) {
      log.info('sync failed', { peer: peer.id, code: errorCode(err) })
      events.emit('sync:failed', { peerId: peer.id, error: err as Error })
      return
    }
    deps.onSynced()
    log.info('sync done', { peer: peer.id, imported: result.imported, head: result.highest })
    events.emit('sync:done', { peerId: peer.id, result })
    broadcaster.headChanged()
    // go-ethereum: announce our new head to the peers that lack it.
    const head = chain.currentHeader()
    if (head.number > 0n) {
      const block = await chain.getBlockByHash(head.hash)
      if (block !== undefined) await broadcaster.broadcastBlock(block, false)
    }
  }

  const synchronise = (peer: Peer | undefined): Promise<void> => {
    if (peer === undefined || !running || inFlight !== undefined) return Promise.resolve()
    const p = doSync(peer)
      .catch((err) => {
        // A chain read failed (the downloader's own failures are handled in doSync).
        log.warn('sync round failed', { peer: peer.id, error: String(err) })
      })
      .finally(() => {
        inFlight = undefined
      })
    inFlight = p
    return p
  }

  const forced = () => {
    timer = undefined
    if (!running) return
    void synchronise(peers.bestPeer()).finally(() => {
      if (running && timer === undefined) timer = clock.setTimeout(forced, options.syncIntervalMs)
    })
  }

  return {
    start() {
      if (running) return
      running = true
      timer = clock.setTimeout(forced, options.syncIntervalMs)
    },
    async stop() {
      running = false
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      await inFlight?.catch(() => {})
      // A sync that ended during shutdown may have re-armed the timer.
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
    },
    peerAdded() {
      if (peers.size >= minPeers) void synchronise(peers.bestPeer())
    },
    synchronise,
    syncNow: () => synchronise(peers.bestPeer()),
  }
}
