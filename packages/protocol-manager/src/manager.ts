/**
 * The protocol manager (go-ethereum's `eth/handler.go`): a short composition of the parts. The
 * peer loop (`peer-loop.ts`) runs each peer through the handler table of its version
 * (`handlers.ts`, serving through `serve.ts`); the syncer (`syncer.ts`) drives the downloader;
 * the broadcasters (`broadcast.ts`) send blocks and transactions; `drop.ts` drops peers with the
 * reason that fits; `adapters.ts` turns peers and the chain into what the downloader and the
 * fetchers consume; `parts.ts` wires the fetchers and txsync.
 */
import { createDownloader, type DownloaderError } from '@ethwire/downloader'
import { createForkFilter, type LocalStatus } from '@ethwire/handshake'
import { systemClock, TypedEmitter } from '@ethwire/interface/runtime'
import { FloodLimits, type Peer, PeerScores, PeerSet } from '@ethwire/peerset'
import { DisconnectReason } from '@ethwire/rlp-wire'
import { hasFastSync, toDownloaderChain, toDownloaderPeer } from './adapters.js'
import { createBlockBroadcaster, createTxBroadcaster } from './broadcast.js'
import * as C from './constants.js'
import { checkDaoFork, daoForkOf } from './dao.js'
import { createDropper, fromDownloaderError } from './drop.js'
import { ProtocolManagerError } from './errors.js'
import { createFetchers, createTxSyncPart } from './parts.js'
import { createPeerLoop, peerInfo } from './peer-loop.js'
import { createReceiptRequests } from './receipts.js'
import { createSyncer } from './syncer.js'
import type {
  HandlerContext,
  Logger,
  ProtocolManager,
  ProtocolManagerDeps,
  ProtocolManagerEvents,
  ProtocolManagerOptions,
  ProtocolManagerStats,
} from './types.js'

export type {
  DropInfo,
  OffenceInfo,
  PeerInfo,
  ProtocolManager,
  ProtocolManagerDeps,
  ProtocolManagerEvents,
  ProtocolManagerOptions,
  ProtocolManagerParts,
  ProtocolManagerStats,
  RefusedInfo,
  SyncingStatus,
} from './types.js'

const silent: Logger = { debug() {}, info() {}, warn() {} }

function newStats(): ProtocolManagerStats {
  return {
    newBlockReceived: 0,
    newBlockHashesReceived: 0,
    blocksImportedByFetcher: 0,
    txMessagesReceived: 0,
    txBytesReceived: 0,
    txBroadcastBytesReceived: 0,
    txsBroadcastReceived: 0,
    txsBroadcastKnown: 0,
    pooledTxBytesReceived: 0,
    pooledTxsReceived: 0,
    pooledTxsKnown: 0,
    txAnnounceBytesReceived: 0,
    txHashesAnnounced: 0,
    txHashesAnnouncedKnown: 0,
    bytesReceived: 0,
    bytesSent: 0,
    peersDropped: 0,
  }
}

export function createProtocolManager(
  deps: ProtocolManagerDeps,
  options: ProtocolManagerOptions,
): ProtocolManager {
  const { chain, txPool } = deps
  const clock = deps.clock ?? systemClock
  const random = deps.random ?? Math.random
  const log = deps.log ?? silent
  const maxPeers = options.maxPeers ?? C.defaultMaxPeers

  const events = new TypedEmitter<ProtocolManagerEvents>({
    onListenerError: (err, event) =>
      log.warn('event listener failed', { event: String(event), error: String(err) }),
  })
  const stats = newStats()
  // Reputation and flood limits (`@ethwire/peerset`), on the manager's clock unless given.
  const scores = deps.scores ?? new PeerScores({ clock }, options.reputation ?? {})
  for (const id of options.staticPeers ?? []) scores.setKind(id, 'static')
  for (const id of options.trustedPeers ?? []) scores.setKind(id, 'trusted')
  const limits = deps.limits ?? new FloodLimits({ clock }, options.floodLimits ?? {})
  const nodeData = new FloodLimits(
    { clock },
    {
      limits: {
        bodiesServed: {
          ratePerSecond: C.nodeDataServedPerPeerPerSecond,
          burst: C.nodeDataServedBurstPerPeer,
          ...options.nodeDataServeLimit,
        },
      },
    },
  )
  const peers = new PeerSet<Peer>({ maxPeers, scores })
  peers.on('removed', (p) => {
    limits.remove(p.id)
    nodeData.remove(p.id)
  })
  const dropper = createDropper({ stats, log, peers, events })
  const dropById = (peerId: string, err: Error) => {
    const p = peers.get(peerId)
    if (p !== undefined) void dropper.drop(p, err)
  }

  let state: 'new' | 'running' | 'stopped' = 'new'
  let acceptTxs = options.acceptTxs ?? false
  const handshakeAbort = new AbortController()
  let admit: (running: boolean) => void = () => {}
  const admission = new Promise<boolean>((resolve) => {
    admit = resolve
  })

  // ---------------------------------------------------------------------------------------------
  // Parts

  const broadcaster = createBlockBroadcaster({ chain, peers, random, log })
  const receiptRequests = createReceiptRequests({ random })

  const downloader = createDownloader(
    {
      chain: toDownloaderChain(chain),
      clock,
      random,
      log,
      ...(deps.stateSync !== undefined ? { stateSync: deps.stateSync } : {}),
      ...(deps.rootHasher !== undefined ? { rootHasher: deps.rootHasher } : {}),
    },
    options.downloader ?? {},
  )
  const fastCapable = deps.stateSync !== undefined && hasFastSync(chain)
  const daoFork = daoForkOf(options.daoFork, chain)
  downloader.on('imported', ({ head, count }) => {
    events.emit('block:imported', { number: head, count, source: 'downloader' })
  })

  const { blockFetcher, txFetcher } = createFetchers(
    {
      chain,
      txPool,
      verifyHeader: deps.verifyHeader,
      peers,
      broadcaster,
      stats,
      events,
      dropById,
      clock,
      random,
      log,
    },
    options,
  )
  const txSync = createTxSyncPart({ txPool, clock, random, log }, options.txAnnounce ?? true)
  const txBroadcaster = createTxBroadcaster(
    { txPool, broadcast: (txs) => txSync.broadcast(txs), clock, peerCount: () => peers.size },
    options.txBroadcastDelayMs ?? C.txBroadcastDelayMs,
  )

  const syncer = createSyncer(
    {
      chain,
      peers,
      downloader,
      clock,
      log,
      events,
      broadcaster,
      onSynced: () => {
        if (acceptTxs) return
        acceptTxs = true
        log.info('initial sync done, accepting transactions')
      },
    },
    {
      minSyncPeers: options.minSyncPeers ?? C.minDesiredPeerCount,
      maxPeers,
      syncIntervalMs: options.syncIntervalMs ?? C.forceSyncIntervalMs,
      mode: options.syncMode ?? (deps.stateSync !== undefined ? 'fast' : 'full'),
      fastCapable,
    },
  )

  // ---------------------------------------------------------------------------------------------
  // Peers

  const handlers: HandlerContext = {
    chain,
    txPool,
    log,
    stats,
    get acceptTxs() {
      return acceptTxs
    },
    blockFetcher,
    txFetcher,
    downloader,
    onPeerAhead: (peer) => {
      void syncer.synchronise(peer)
    },
    receipts: receiptRequests,
    ...(options.serveLimits !== undefined ? { serveLimits: options.serveLimits } : {}),
    limits,
    nodeDataLimits: {
      acquire: (peerId, n, opts) => nodeData.acquire(peerId, 'bodiesServed', n, opts),
    },
    report: (peer, kind, detail, cause) => void dropper.report(peer, kind, detail, cause),
    schedule: (peer, work) => loop.schedule(peer, work),
  }

  /** The peer joins the downloader (again, after a timeout that did not get it dropped). */
  const joinDownloader = (peer: Peer): void => {
    downloader.registerPeer(
      toDownloaderPeer(peer, {
        drop: (error) => downloaderGaveUp(peer, error),
        receipts: receiptRequests,
        onProtocolError: (error) => void dropper.drop(peer, error),
      }),
    )
  }

  /**
   * The downloader gave up on a peer. A timeout lowers its score and the peer stays (dropped once
   * the score falls below the ban threshold); the downloader has forgotten it, so it is offered
   * to the downloader again for later syncs (the running one keeps it out). Anything else (bad
   * data, a useless chain) drops it at once, as before.
   */
  const downloaderGaveUp = (peer: Peer, error: DownloaderError): void => {
    if (error.code !== 'ErrTimeout') {
      void dropper.drop(peer, fromDownloaderError(peer.id, error))
      return
    }
    const outcome = dropper.report(peer, 'timeout', error.message, error)
    if (outcome?.shouldDrop === true || peer.closed) return
    queueMicrotask(() => {
      if (peer.closed || peers.get(peer.id) !== peer || downloader.peerIds().includes(peer.id))
        return
      try {
        joinDownloader(peer)
      } catch (err) {
        log.debug('peer not registered with the downloader again', {
          peer: peer.id,
          error: String(err),
        })
      }
    })
  }

  const localStatus = async (): Promise<LocalStatus> => {
    const head = chain.currentHeader()
    const td = (await chain.getTd(head.hash, head.number)) ?? 0n
    return {
      networkId: options.networkId,
      genesisHash: chain.genesis.hash,
      head: { hash: head.hash, number: head.number, time: head.time },
      td,
      earliestBlock: chain.earliestBlock?.() ?? 0n,
      forks: options.forkConfig,
    }
  }

  const loop = createPeerLoop(
    {
      peers,
      clock,
      random,
      log,
      stats,
      events,
      dropper,
      handlers,
      localStatus,
      forkFilter: createForkFilter(options.forkConfig, () => {
        const h = chain.currentHeader()
        return { number: h.number, time: h.time }
      }),
      admitted: () => (state === 'new' ? admission : Promise.resolve(state === 'running')),
      signal: handshakeAbort.signal,
      joined: (peer) => {
        joinDownloader(peer)
        txSync.addPeer(peer)
        syncer.peerAdded()
        if (daoFork !== undefined) {
          void checkDaoFork(
            { clock, log, drop: (p, err) => void dropper.drop(p, err) },
            daoFork,
            peer,
            handshakeAbort.signal,
          )
        }
      },
      left: (peer) => {
        receiptRequests.removePeer(peer)
        downloader.unregisterPeer(peer.id)
        blockFetcher.removePeer(peer.id)
        txFetcher.removePeer(peer.id)
        txSync.removePeer(peer.id)
      },
    },
    {
      maxPeers,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? C.handshakeTimeoutMs,
      maxQueuedServeRequests: options.maxQueuedServeRequests ?? C.maxQueuedServeRequests,
    },
  )

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  let stopping: Promise<void> | undefined

  return {
    start() {
      if (state === 'running') return Promise.resolve()
      if (state === 'stopped') {
        return Promise.reject(
          new ProtocolManagerError('ErrStopped', 'a stopped protocol manager is not restarted'),
        )
      }
      state = 'running'
      // Every part starts synchronously (their promises resolve at once); connections that
      // waited for start() go on once the parts run.
      const started = Promise.all([
        downloader.start(),
        blockFetcher.start(),
        txFetcher.start(),
        txSync.start(),
      ])
      txBroadcaster.start()
      syncer.start()
      admit(true)
      return started.then(() => {})
    },
    stop() {
      stopping ??= (async () => {
        state = 'stopped'
        admit(false)
        txBroadcaster.stop()
        handshakeAbort.abort(new Error('protocol manager stopped'))
        const syncerStopped = syncer.stop()
        await downloader.stop().catch(() => {})
        await Promise.all([blockFetcher.stop(), txFetcher.stop(), txSync.stop()])
        await peers.close(DisconnectReason.ClientQuitting)
        await loop.settled()
        await syncerStopped
        await broadcaster.settled()
      })()
      return stopping
    },
    handle: (conn) => loop.handle(conn),
    get peerCount() {
      return peers.size
    },
    peerInfos: () => peers.peers().map((p) => peerInfo(p, peers)),
    async disconnect(id, reason = DisconnectReason.Requested) {
      const p = peers.get(id)
      if (p !== undefined) await p.disconnect(reason)
    },
    broadcastBlock: (block, propagate) => broadcaster.broadcastBlock(block, propagate),
    async announceMined(block) {
      await broadcaster.broadcastBlock(block, true)
      await broadcaster.broadcastBlock(block, false)
      broadcaster.headChanged()
    },
    syncNow: () => syncer.syncNow(),
    syncing() {
      if (!downloader.synchronising) return false
      const p = downloader.progress()
      return {
        startingBlock: p.startingBlock,
        currentBlock: p.currentBlock,
        highestBlock: p.highestBlock,
        mode: p.mode,
        pulledStates: p.pulledStates,
        knownStates: p.knownStates,
      }
    },
    get syncMode() {
      return syncer.mode
    },
    get acceptTxs() {
      return acceptTxs
    },
    setAcceptTxs(on) {
      acceptTxs = on
    },
    stats: () => ({ ...stats }),
    on: (event, listener) => events.on(event, listener),
    parts: { peers, downloader, blockFetcher, txFetcher, txSync, scores, limits },
  }
}
