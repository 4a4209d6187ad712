/**
 * The syncer (go-ethereum's `eth/sync.go` `chainSyncer`): when a peer arrives and at least
 * `minSyncPeers` peers are there, and every `syncIntervalMs` regardless (the forced sync), it
 * picks the best peer (highest total difficulty; with only eth/69+ peers, highest latest block)
 * and syncs with it through the downloader if it is ahead of us. One sync at a time. After a
 * completed sync our new head is announced and eth/69+ peers get our block range. A round that
 * finds the best peer not ahead of us also ends the initial sync (we are in sync with it).
 *
 * Mode (go-ethereum v1.8's `fastSync` flag): a node asked to sync fast does so only while its
 * head is at genesis; after the first successful sync it switches to full for good. A node whose
 * head fell back to genesis with its fast head ahead (rolled back below a fast sync's pivot) syncs
 * fast again. In fast mode the peer must be ahead of our fast head (the blocks stored without
 * state), not only of our head.
 */
import type { Downloader, SyncMode, SyncResult } from '@ethwire/downloader'
import type { Clock } from '@ethwire/interface'
import { errorCode, type TypedEmitter } from '@ethwire/interface/runtime'
import type { Peer, PeerSet } from '@ethwire/peerset'
import type { BlockBroadcaster } from './broadcast.js'
import type { Logger, PmChain, ProtocolManagerEvents } from './types.js'

export interface SyncerDeps {
  readonly chain: Pick<PmChain, 'currentHeader' | 'getTd' | 'getBlockByHash' | 'currentFastHeader'>
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
  /** The mode asked for (go-ethereum's `--syncmode`). */
  readonly mode: SyncMode
  /** Whether a fast sync can work at all (a `stateSync` dep and a chain with the fast methods). */
  readonly fastCapable: boolean
}

/**
 * The mode of the next sync: `fast` only when asked for, possible, and our head is at genesis —
 * before the first successful sync, or again when the head fell back to genesis with the fast
 * head ahead (go-ethereum v1.8's `synchronise`).
 */
export function nextSyncMode(s: {
  requested: SyncMode
  fastCapable: boolean
  /** A sync succeeded since fast mode was last on (it switched us to full). */
  fastDone: boolean
  head: bigint
  fastHead: bigint
}): SyncMode {
  if (s.requested !== 'fast' || !s.fastCapable || s.head > 0n) return 'full'
  if (!s.fastDone) return 'fast'
  return s.fastHead > 0n ? 'fast' : 'full'
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
  /** The mode the next sync takes (while one runs, its mode). */
  readonly mode: SyncMode
}

export function createSyncer(deps: SyncerDeps, options: SyncerOptions): Syncer {
  const { chain, peers, downloader, clock, log, events, broadcaster } = deps
  const minPeers = Math.min(options.minSyncPeers, options.maxPeers)
  let running = false
  let timer: unknown
  let inFlight: Promise<void> | undefined
  let runningMode: SyncMode | undefined
  /** A fast sync is over (go-ethereum: "fast sync complete, auto disabling"). */
  let fastDone = false
  if (options.mode === 'fast') {
    if (!options.fastCapable)
      log.warn(
        'fast sync needs a stateSync and a chain with the fast-sync methods: syncing in full',
      )
    else if (chain.currentHeader().number > 0n)
      log.info('chain not empty, fast sync disabled', { head: chain.currentHeader().number })
  }
  const mode = (): SyncMode =>
    runningMode ??
    nextSyncMode({
      requested: options.mode,
      fastCapable: options.fastCapable,
      fastDone,
      head: chain.currentHeader().number,
      fastHead: chain.currentFastHeader?.().number ?? 0n,
    })

  /**
   * Our head is behind the peer's: by TD on eth/62–68, by latest block on eth/69+. In fast mode
   * the head that counts is the fast head (blocks stored without state count as ours).
   */
  const peerAhead = async (peer: Peer, m: SyncMode): Promise<boolean> => {
    const head =
      m === 'fast' && chain.currentFastHeader !== undefined
        ? chain.currentFastHeader()
        : chain.currentHeader()
    if (peer.td !== undefined) {
      const ourTd = (await chain.getTd(head.hash, head.number)) ?? 0n
      return peer.td > ourTd
    }
    const latest = peer.blockRange?.latestBlock
    return latest !== undefined && latest > head.number
  }

  const doSync = async (peer: Peer): Promise<void> => {
    const m = mode()
    const ahead = await peerAhead(peer, m)
    if (!running || peer.closed) return
    if (!ahead) {
      // The sync attempt is over and nobody is ahead: we are in sync. go-ethereum turns on
      // transaction processing once a sync attempt finishes, so a node whose peers are not
      // ahead (the first node of a network, one restarted at the head) takes transactions.
      deps.onSynced()
      return
    }
    const ourHead = chain.currentHeader().number
    events.emit('sync:start', { peerId: peer.id, ourHead, mode: m })
    log.info('sync started', { peer: peer.id, ourHead, mode: m })
    let result: SyncResult
    runningMode = m
    try {
      result = await downloader.synchronise(peer.id, peer.headHash, peer.td, { mode: m })
    } catch (err) {
      log.info('sync failed', { peer: peer.id, code: errorCode(err) })
      events.emit('sync:failed', { peerId: peer.id, error: err as Error })
      return
    } finally {
      runningMode = undefined
    }
    if (m === 'fast') {
      fastDone = true
      log.info('fast sync complete, auto disabling', { ran: result.mode })
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
    get mode() {
      return mode()
    },
  }
}
