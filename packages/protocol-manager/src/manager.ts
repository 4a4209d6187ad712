/**
 * The protocol manager (go-ethereum's `eth/handler.go`): a short composition of the parts. The
 * peer loop (`peer-loop.ts`) runs each peer through the handler table of its version
 * (`handlers.ts`, serving through `serve.ts`); the syncer (`syncer.ts`) drives the downloader;
 * the broadcasters (`broadcast.ts`) send blocks and transactions; `drop.ts` drops peers with the
 * reason that fits; `adapters.ts` turns peers and the chain into what the downloader and the
 * fetchers consume.
 */
import { createDownloader } from '@ethwire/downloader'
import { createBlockFetcher, createTxFetcher, isFetcherError } from '@ethwire/fetcher'
import { createForkFilter, type LocalStatus } from '@ethwire/handshake'
import { errorCode, systemClock, TypedEmitter } from '@ethwire/interface/runtime'
import { type Peer, PeerSet } from '@ethwire/peerset'
import { DisconnectReason, type Transaction } from '@ethwire/rlp-wire'
import { createTxSync } from '@ethwire/txsync'
import { insertedCount, toDownloaderChain, toDownloaderPeer, toFetcherPeer } from './adapters.js'
import { createBlockBroadcaster, createTxBroadcaster } from './broadcast.js'
import * as C from './constants.js'
import { createDropper, fromDownloaderError, fromFetcherError } from './drop.js'
import { ProtocolManagerError } from './errors.js'
import { createPeerLoop, peerInfo } from './peer-loop.js'
import { txOf } from './serve.js'
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
  PeerInfo,
  ProtocolManager,
  ProtocolManagerDeps,
  ProtocolManagerEvents,
  ProtocolManagerOptions,
  ProtocolManagerParts,
  ProtocolManagerStats,
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
  const peers = new PeerSet<Peer>({ maxPeers })
  const dropper = createDropper({ stats, log })
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

  const downloader = createDownloader(
    { chain: toDownloaderChain(chain), clock, random, log },
    options.downloader ?? {},
  )
  downloader.on('imported', ({ head, count }) => {
    events.emit('block:imported', { number: head, count, source: 'downloader' })
  })

  const blockFetcher = createBlockFetcher(
    {
      getBlock: (hash) => chain.getBlockByHash(hash),
      verifyHeader: (header) => deps.verifyHeader?.(header),
      broadcastBlock: (block, propagate) => {
        void broadcaster.broadcastBlock(block, propagate)
      },
      chainHeight: () => chain.currentHeader().number,
      insertChain: async (blocks) => {
        const n = insertedCount(await chain.insertChain(blocks))
        stats.blocksImportedByFetcher += n
        const last = blocks[blocks.length - 1]
        if (last !== undefined && n > 0) {
          events.emit('block:imported', {
            number: last.header.number,
            hash: last.hash,
            count: n,
            source: 'fetcher',
          })
          broadcaster.headChanged()
        }
        return n
      },
      dropPeer: (peerId, reason) => dropById(peerId, fromFetcherError(peerId, reason)),
      clock,
      random,
    },
    options.blockFetcher ?? {},
  )

  const txFetcher = createTxFetcher(
    {
      hasTx: (hash) => txPool?.has(hash) ?? false,
      requestTxs: (peerId, hashes, signal) => {
        const p = peers.get(peerId)
        if (p === undefined) throw new Error(`peer ${peerId} gone`)
        toFetcherPeer(p, { blockFetcher, txFetcher }).requestTxs(hashes, signal)
      },
      // Only reached after acceptTxs: Transactions and announcements are dropped before it. The
      // pool's per-transaction results go back, so a malformed one gets its sender dropped.
      addTxs: async (txs) => (txPool !== undefined ? await txPool.addRemotes(txs) : []),
      penalize: (peerId, err) => {
        // go-ethereum drops the peer for every rule a delivery or announcement breaks.
        log.debug('tx fetcher: peer broke a rule', { peer: peerId, code: errorCode(err) })
        if (isFetcherError(err)) dropById(peerId, fromFetcherError(peerId, err))
      },
      clock,
      random,
    },
    options.txFetcher ?? {},
  )

  const txSync = createTxSync<Transaction, Peer>(
    {
      // Outbound is not gated by acceptTxs (as in go-ethereum): our own transactions go out.
      pending: () => (txPool !== undefined ? txPool.pendingList().map(txOf) : []),
      clock,
      random,
      onPeerFailed: (peer, err) =>
        log.debug('txsync: peer failed', { peer: peer.id, code: err.code }),
      onBroadcastError: () => {},
    },
    {
      // With announcements, a new peer gets our pending hashes, not the transactions (go-ethereum
      // eth/65+): a peer that reconnects does not get the whole pool again in full.
      policy:
        (options.txAnnounce ?? true)
          ? { direct: 'sqrt', initialSync: 'announce' }
          : { direct: 'all', initialSync: 'full' },
    },
  )
  const txBroadcaster = createTxBroadcaster(
    { txPool, broadcast: (txs) => txSync.broadcast(txs), clock },
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
        downloader.registerPeer(
          toDownloaderPeer(peer, {
            drop: (error) => void dropper.drop(peer, fromDownloaderError(peer.id, error)),
          }),
        )
        txSync.addPeer(peer)
        syncer.peerAdded()
      },
      left: (peer) => {
        downloader.unregisterPeer(peer.id)
        blockFetcher.removePeer(peer.id)
        txFetcher.removePeer(peer.id)
        txSync.removePeer(peer.id)
      },
    },
    {
      maxPeers,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? C.handshakeTimeoutMs,
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
    peerInfos: () => peers.peers().map(peerInfo),
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
      }
    },
    get acceptTxs() {
      return acceptTxs
    },
    setAcceptTxs(on) {
      acceptTxs = on
    },
    stats: () => ({ ...stats }),
    on: (event, listener) => events.on(event, listener),
    parts: { peers, downloader, blockFetcher, txFetcher, txSync },
  }
}
