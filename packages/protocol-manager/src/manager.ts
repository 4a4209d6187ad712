/**
 * The protocol manager: one read loop per peer dispatching through the handler table of its
 * version, the syncer, and the block and transaction broadcasters, composed from handshake,
 * peerset, downloader, fetcher and txsync.
 */
import {
  createDownloader,
  type Downloader,
  type DownloaderOptions,
  type DownloaderPeer,
  type SyncResult,
} from '@ethwire/downloader'
import {
  type BlockFetcher,
  type BlockFetcherOptions,
  createBlockFetcher,
  createTxFetcher,
  type TxFetcher,
  type TxFetcherOptions,
} from '@ethwire/fetcher'
import {
  createForkFilter,
  type ForkConfig,
  handshake,
  isHandshakeError,
  type LocalStatus,
} from '@ethwire/handshake'
import { isPeerError, Peer, PeerSet, TypedEmitter } from '@ethwire/peerset'
import {
  type Block,
  type BlockHeader,
  bytesToHex,
  DisconnectReason,
  type EthConnection,
  isWireError,
  type Msg,
} from '@ethwire/rlp-wire'
import { createTxSync, type TxSync } from '@ethwire/txsync'
import { pickRandom, propagationCount } from './broadcast.js'
import * as C from './constants.js'
import { isProtocolError, ProtocolError } from './errors.js'
import { type HandlerContext, handlerTable, type MsgHandler } from './handlers.js'
import { txOf } from './serve.js'
import type {
  Clock,
  Logger,
  MaybePromise,
  PmChain,
  PmTxPool,
  PooledTx,
  RandomSource,
} from './types.js'

export interface ProtocolManagerDeps {
  /** The chain we serve from and import into (`@ethwire/chain`'s `Chain` fits). */
  chain: PmChain
  /** The transaction pool (`@ethwire/txpool`'s pool fits). Without one, transactions are ignored. */
  txPool?: PmTxPool
  /** The consensus engine's header check, used by the block fetcher; default: accept. */
  verifyHeader?: (header: BlockHeader) => MaybePromise<void>
  /** Default: the system clock. */
  clock?: Clock
  /** Default: Math.random. */
  random?: RandomSource
  /** Default: silent. */
  log?: Logger
}

export interface ProtocolManagerOptions {
  networkId: bigint
  /** Our fork schedule (EIP-2124 fork ids in the Status, and the filter for the peer's). */
  forkConfig: ForkConfig
  /** Registered peers at most; more are refused with TooManyPeers (default 50). */
  maxPeers?: number
  /** Peers needed before an arriving peer triggers a sync (default 5). */
  minSyncPeers?: number
  /** Forced sync interval (default 10 s). */
  syncIntervalMs?: number
  /** Accept transactions from the start (a miner); otherwise after the first completed sync. */
  acceptTxs?: boolean
  /** eth/66+: whole transactions to √n peers and hashes to the rest (default true); false: whole to all. */
  txAnnounce?: boolean
  /**
   * New pending transactions are collected for this long and broadcast together (one message per
   * peer instead of one per transaction, as go-ethereum's pool emits one event per reorg run).
   * Default 10 ms; 0 broadcasts each pool event at once.
   */
  txBroadcastDelayMs?: number
  /** Default 5 s. */
  handshakeTimeoutMs?: number
  /** Passed to the downloader / the fetchers. */
  downloader?: DownloaderOptions
  blockFetcher?: BlockFetcherOptions
  txFetcher?: TxFetcherOptions
}

/** One connected peer, for admin APIs and logs. */
export interface PeerInfo {
  id: string
  version: number
  transport: string
  remoteAddress: string
  inbound?: boolean
  /** Head hash as far as we know, 0x hex. */
  head: string
  /** Total difficulty (eth/62–68). */
  td?: bigint
  /** Block range (eth/69). */
  earliest?: bigint
  latest?: bigint
}

export interface SyncingStatus {
  startingBlock: bigint
  currentBlock: bigint
  highestBlock: bigint
}

export interface ProtocolManagerStats {
  newBlockReceived: number
  newBlockHashesReceived: number
  blocksImportedByFetcher: number
  txMessagesReceived: number
  txBytesReceived: number
  /** Payload bytes of `Transactions` messages (after acceptTxs). */
  txBroadcastBytesReceived: number
  /** Transactions in `Transactions` messages, and how many of them the pool already held. */
  txsBroadcastReceived: number
  txsBroadcastKnown: number
  /** Payload bytes of `PooledTransactions` answers. */
  pooledTxBytesReceived: number
  /** Transactions in `PooledTransactions` answers, and how many of them the pool already held. */
  pooledTxsReceived: number
  pooledTxsKnown: number
  /** Payload bytes of `NewPooledTransactionHashes` (after acceptTxs). */
  txAnnounceBytesReceived: number
  /** Hashes announced to us, and how many of them the pool already held. */
  txHashesAnnounced: number
  txHashesAnnouncedKnown: number
  bytesReceived: number
  bytesSent: number
  peersDropped: number
}

export interface ProtocolManagerEvents {
  'peer:added': PeerInfo
  'peer:removed': PeerInfo & { error?: string }
  'sync:start': { peerId: string; ourHead: bigint }
  'sync:done': { peerId: string; result: SyncResult }
  'sync:failed': { peerId: string; error: Error }
  'block:imported': {
    number: bigint
    hash?: Uint8Array
    count: number
    source: 'fetcher' | 'downloader'
  }
}

export interface ProtocolManager {
  /**
   * Starts the syncer timer, the fetchers and txsync; subscribes to the pool's new transactions.
   * Connections handed to `handle` before `start` wait for it.
   */
  start(): void
  /** Stops the loops, disconnects every peer with ClientQuitting; leaves no timers. */
  stop(): Promise<void>
  /**
   * Runs one peer: refuses it beyond `maxPeers`, handshakes, registers it and reads its messages
   * until the connection ends or the peer breaks the protocol; always unregisters. Resolves when
   * the peer is gone; never rejects.
   */
  handle(conn: EthConnection): Promise<void>
  readonly peerCount: number
  peerInfos(): PeerInfo[]
  /** Drops one peer (default reason Requested). */
  disconnect(id: string, reason?: number): Promise<void>
  /**
   * go-ethereum's BroadcastBlock: `propagate` sends the whole block with its total difficulty to
   * √n of the peers that lack it (skipped, with a log, when the parent is unknown); otherwise its
   * hash to every peer that lacks it. eth/69 peers get neither. Resolves to the number of peers
   * the block or hash was queued for.
   */
  broadcastBlock(block: Block, propagate: boolean): Promise<number>
  /** A block we sealed and inserted: propagate, then announce. */
  announceMined(block: Block): Promise<void>
  /** Sync with the best peer now if it is ahead (what the syncer does on its timer). */
  syncNow(): Promise<void>
  syncing(): false | SyncingStatus
  readonly acceptTxs: boolean
  setAcceptTxs(on: boolean): void
  stats(): ProtocolManagerStats
  on<K extends keyof ProtocolManagerEvents>(
    event: K,
    listener: (value: ProtocolManagerEvents[K]) => void,
  ): () => void
  /** The parts, for tests and metrics. */
  readonly parts: {
    readonly peers: PeerSet<Peer>
    readonly downloader: Downloader
    readonly blockFetcher: BlockFetcher
    readonly txFetcher: TxFetcher
    readonly txSync: TxSync<import('@ethwire/rlp-wire').Transaction, Peer>
  }
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

const silent: Logger = { debug() {}, info() {}, warn() {} }

export function createProtocolManager(
  deps: ProtocolManagerDeps,
  options: ProtocolManagerOptions,
): ProtocolManager {
  const { chain, txPool } = deps
  const clock = deps.clock ?? systemClock
  const random = deps.random ?? Math.random
  const log = deps.log ?? silent
  const maxPeers = options.maxPeers ?? C.defaultMaxPeers
  const minSyncPeers = options.minSyncPeers ?? C.minDesiredPeerCount
  const syncIntervalMs = options.syncIntervalMs ?? C.forceSyncIntervalMs
  const hsTimeoutMs = options.handshakeTimeoutMs ?? C.handshakeTimeoutMs

  const events = new TypedEmitter<ProtocolManagerEvents>({
    onListenerError: (err, event) =>
      log.warn('event listener failed', { event: String(event), error: String(err) }),
  })
  const stats: ProtocolManagerStats = {
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
  const peers = new PeerSet<Peer>({ maxPeers })
  const forkFilter = createForkFilter(options.forkConfig, () => {
    const h = chain.currentHeader()
    return { number: h.number, time: h.time }
  })

  let acceptTxs = options.acceptTxs ?? false
  let running = false
  let stopped = false
  let syncTimer: unknown
  let syncInFlight: Promise<void> | undefined
  let unsubscribePool: (() => void) | undefined
  const txBroadcastDelayMs = options.txBroadcastDelayMs ?? C.txBroadcastDelayMs
  let txBatch: PooledTx[] = []
  let txBatchTimer: unknown
  const flushTxBatch = () => {
    txBatchTimer = undefined
    const batch = txBatch
    txBatch = []
    if (running && batch.length > 0) txSync.broadcast(batch.map(txOf))
  }
  const handshakeAbort = new AbortController()
  const active = new Set<Promise<void>>()
  /** Why each peer is being dropped (for the 'peer:removed' event). */
  const dropReasons = new Map<Peer, string>()
  let lastRangeUpdate = chain.currentHeader().number
  let releaseWaiting: () => void = () => {}
  const startedOrStopped = {
    promise: new Promise<void>((resolve) => {
      releaseWaiting = resolve
    }),
  }

  // ---------------------------------------------------------------------------------------------
  // Parts

  const downloader = createDownloader(
    {
      chain: {
        currentBlock: async () => {
          const h = chain.currentHeader()
          return { number: h.number, hash: h.hash, td: (await chain.getTd(h.hash, h.number)) ?? 0n }
        },
        hasBlock: (hash, n) => chain.hasBlock(hash, n),
        getHeaderByNumber: (n) => chain.getHeaderByNumber(n),
        getTd: (hash, n) => chain.getTd(hash, n),
        insertChain: async (blocks) => insertedCount(await chain.insertChain(blocks)),
      },
      clock,
      random,
      log,
    },
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
        void broadcastBlock(block, propagate)
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
          afterHeadChange()
        }
        return n
      },
      dropPeer: (peerId, reason) => {
        const p = peers.get(peerId)
        if (p !== undefined)
          void dropPeer(
            p,
            new ProtocolError('ErrBadPeer', peerId, reason.message, { cause: reason }),
          )
      },
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
        // Fire and forget: the answer is handed to the fetcher when it arrives; the fetcher's
        // signal ends the request (requests have no peer-level timeout: the requester owns it).
        p.requestPooledTransactions(hashes, { signal }).then(
          (txs) => {
            txFetcher.enqueue(peerId, txs, true)
          },
          () => {},
        )
      },
      // Only reached after acceptTxs: Transactions and announcements are dropped before it.
      addTxs: async (txs) => {
        if (txPool !== undefined) await txPool.addRemotes(txs)
      },
      penalize: (peerId, err) => {
        const code = (err as { code?: string }).code
        log.debug('tx fetcher: peer penalized', { peer: peerId, code })
        // Unrequested (usually late) deliveries are only logged; a delivery that contradicts the
        // peer's own eth/68 announcement gets it dropped, as go-ethereum does.
        if (code === 'ErrTxTypeMismatch' || code === 'ErrTxSizeMismatch') {
          const p = peers.get(peerId)
          if (p !== undefined)
            void dropPeer(p, new ProtocolError('ErrBadPeer', peerId, err.message, { cause: err }))
        }
      },
      clock,
      random,
    },
    options.txFetcher ?? {},
  )

  const txSync = createTxSync<import('@ethwire/rlp-wire').Transaction, Peer>(
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

  // ---------------------------------------------------------------------------------------------
  // Peers

  const countingConn = (conn: EthConnection): EthConnection => ({
    get version() {
      return conn.version
    },
    get direction() {
      return conn.direction
    },
    get remoteId() {
      return conn.remoteId
    },
    get remoteAddress() {
      return conn.remoteAddress
    },
    get transport() {
      return conn.transport
    },
    get closeInfo() {
      return conn.closeInfo
    },
    readMsg: (signal) => conn.readMsg(signal),
    writeMsg: (code, payload) => {
      stats.bytesSent += payload.length
      return conn.writeMsg(code, payload)
    },
    close: (reason) => conn.close(reason),
  })

  const info = (p: Peer): PeerInfo => {
    const i = p.info()
    return {
      id: p.id,
      version: p.version,
      transport: p.conn.transport,
      remoteAddress: i.remoteAddress,
      inbound: p.conn.direction === 'inbound',
      head: bytesToHex(i.headHash),
      ...(i.td !== undefined ? { td: i.td } : {}),
      ...(i.blockRange !== undefined
        ? { earliest: i.blockRange.earliestBlock, latest: i.blockRange.latestBlock }
        : {}),
    }
  }

  const dropPeer = async (
    peer: Peer,
    err: ProtocolError | Error,
    reason?: number,
  ): Promise<void> => {
    if (peer.closed) return
    const code = (err as { code?: string }).code ?? 'Error'
    dropReasons.set(peer, code)
    stats.peersDropped++
    log.warn('dropping peer', { peer: peer.id, code, error: err.message, ...causes(err) })
    await peer.disconnect(
      reason ?? (isProtocolError(err) ? err.disconnectReason : DisconnectReason.SubprotocolError),
    )
  }

  const downloaderPeer = (peer: Peer): DownloaderPeer => ({
    id: peer.id,
    head: () => ({
      hash: peer.headHash,
      ...(peer.td !== undefined ? { td: peer.td } : {}),
      ...(peer.blockRange !== undefined ? { number: peer.blockRange.latestBlock } : {}),
    }),
    requestHeadersByNumber: (origin, amount, skip, reverse, signal) =>
      peer.requestHeadersByNumber({ number: origin, amount, skip, reverse }, { signal }),
    requestHeadersByHash: (hash, amount, skip, reverse, signal) =>
      peer.requestHeadersByHash({ hash, amount, skip, reverse }, { signal }),
    requestBodies: (hashes, signal) => peer.requestBodies(hashes, { signal }),
    drop: (error) => {
      void dropPeer(peer, new ProtocolError('ErrBadPeer', peer.id, error.message, { cause: error }))
    },
  })

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

  const ctx: HandlerContext = {
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
      void synchronise(peer)
    },
  }
  const tables = new Map<number, Map<number, MsgHandler>>()
  const tableFor = (version: number) => {
    let t = tables.get(version)
    if (t === undefined) {
      t = handlerTable(version)
      tables.set(version, t)
    }
    return t
  }

  const handleMsg = async (peer: Peer, msg: Msg): Promise<void> => {
    stats.bytesReceived += msg.size
    if (msg.size > C.maxMessageSizeBytes || msg.payload.length > C.maxMessageSizeBytes) {
      throw new ProtocolError(
        'ErrMsgTooLarge',
        peer.id,
        `message 0x${msg.code.toString(16)} of ${msg.size} bytes over ${C.maxMessageSizeBytes}`,
        { msgCode: msg.code },
      )
    }
    const handler = tableFor(peer.version).get(msg.code)
    if (handler === undefined) {
      throw new ProtocolError(
        'ErrInvalidMsgCode',
        peer.id,
        `eth/${peer.version} has no message 0x${msg.code.toString(16)}`,
        { msgCode: msg.code },
      )
    }
    await handler(ctx, peer, msg)
  }

  const run = async (conn: EthConnection): Promise<void> => {
    // A connection that arrives before start() waits for it (transports may start first).
    if (!running && !stopped) await startedOrStopped.promise
    if (!running || stopped) {
      await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
      return
    }
    if (peers.size >= maxPeers) {
      log.debug('too many peers, refusing', { peer: conn.remoteId, max: maxPeers })
      await conn.close(DisconnectReason.TooManyPeers).catch(() => {})
      return
    }
    const counted = countingConn(conn)
    let remote: Awaited<ReturnType<typeof handshake>>['remote']
    try {
      const res = await handshake(
        { conn: counted, local: await localStatus(), clock },
        { timeoutMs: hsTimeoutMs, forkFilter, signal: handshakeAbort.signal },
      )
      remote = res.remote
    } catch (err) {
      log.debug('handshake failed', {
        peer: conn.remoteId,
        code: isHandshakeError(err) ? err.code : String(err),
      })
      // The handshake closes on its own failures, not when aborted by stop().
      await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
      return
    }
    // No peer-level request timeout: every requester (downloader, fetchers) owns its own.
    const peer = new Peer({ conn: counted, status: remote, clock, random })
    try {
      peers.register(peer)
    } catch (err) {
      log.debug('peer refused', { peer: peer.id, code: isPeerError(err) ? err.code : String(err) })
      await conn
        .close(isPeerError(err) ? err.disconnectReason : DisconnectReason.Requested)
        .catch(() => {})
      return
    }
    try {
      downloader.registerPeer(downloaderPeer(peer))
      txSync.addPeer(peer)
      log.debug('peer added', { peer: peer.id, version: peer.version })
      events.emit('peer:added', info(peer))
      if (peers.size >= minSyncPeers) void synchronise(peers.bestPeer())
      for (;;) {
        let msg: Msg
        try {
          msg = await counted.readMsg()
        } catch (err) {
          if (isWireError(err, 'ErrMsgTooLarge'))
            throw new ProtocolError('ErrMsgTooLarge', peer.id, err.message, { cause: err })
          break // closed (by either side)
        }
        await handleMsg(peer, msg)
      }
    } catch (err) {
      if (isProtocolError(err)) await dropPeer(peer, err)
      else if (!peer.closed && conn.closeInfo === undefined && !isPeerError(err, 'ErrClosed')) {
        log.warn('peer handler failed', { peer: peer.id, error: String(err) })
        await dropPeer(peer, err as Error, DisconnectReason.SubprotocolError)
      }
    } finally {
      const error = dropReasons.get(peer)
      dropReasons.delete(peer)
      if (peers.get(peer.id) === peer) peers.unregister(peer.id)
      downloader.unregisterPeer(peer.id)
      blockFetcher.removePeer(peer.id)
      txFetcher.removePeer(peer.id)
      txSync.removePeer(peer.id)
      peer.close()
      await conn.close(DisconnectReason.Requested).catch(() => {})
      log.debug('peer removed', { peer: peer.id, error })
      events.emit('peer:removed', { ...info(peer), ...(error !== undefined ? { error } : {}) })
    }
  }

  const handle = (conn: EthConnection): Promise<void> => {
    const p = run(conn).catch((err) => {
      log.warn('peer task failed', { peer: conn.remoteId, error: String(err) })
    })
    active.add(p)
    void p.finally(() => active.delete(p))
    return p
  }

  // ---------------------------------------------------------------------------------------------
  // Syncer

  /** Our head is behind the peer's: by TD on eth/62–68, by latest block on eth/69. */
  const peerAhead = async (peer: Peer): Promise<boolean> => {
    const head = chain.currentHeader()
    if (peer.td !== undefined) {
      const ourTd = (await chain.getTd(head.hash, head.number)) ?? 0n
      return peer.td > ourTd
    }
    const latest = peer.blockRange?.latestBlock
    return latest !== undefined && latest > head.number
  }

  const synchronise = (peer: Peer | undefined): Promise<void> => {
    if (peer === undefined || !running || syncInFlight !== undefined) return Promise.resolve()
    const p = doSync(peer)
      .catch((err) => {
        // A chain read failed (the downloader's own failures are handled in doSync).
        log.warn('sync round failed', { peer: peer.id, error: String(err) })
      })
      .finally(() => {
        syncInFlight = undefined
      })
    syncInFlight = p
    return p
  }

  const doSync = async (peer: Peer): Promise<void> => {
    if (!(await peerAhead(peer)) || !running || peer.closed) return
    const ourHead = chain.currentHeader().number
    events.emit('sync:start', { peerId: peer.id, ourHead })
    log.info('sync started', { peer: peer.id, ourHead })
    let result: SyncResult
    try {
      result = await downloader.synchronise(peer.id, peer.headHash, peer.td)
    } catch (err) {
      log.info('sync failed', { peer: peer.id, code: (err as { code?: string }).code })
      events.emit('sync:failed', { peerId: peer.id, error: err as Error })
      return
    }
    if (!acceptTxs) {
      acceptTxs = true
      log.info('initial sync done, accepting transactions')
    }
    log.info('sync done', { peer: peer.id, imported: result.imported, head: result.highest })
    events.emit('sync:done', { peerId: peer.id, result })
    afterHeadChange()
    // go-ethereum: announce our new head to the peers that lack it.
    const head = chain.currentHeader()
    if (head.number > 0n) {
      const block = await chain.getBlockByHash(head.hash)
      if (block !== undefined) await broadcastBlock(block, false)
    }
  }

  const forceSync = () => {
    syncTimer = undefined
    if (!running) return
    void synchronise(peers.bestPeer()).finally(() => {
      if (running && syncTimer === undefined)
        syncTimer = clock.setTimeout(forceSync, syncIntervalMs)
    })
  }

  /** eth/69: tell peers our new block range once the head moved far enough. */
  const afterHeadChange = () => {
    const head = chain.currentHeader()
    if (head.number < lastRangeUpdate + C.blockRangeUpdateIntervalBlocks) return
    lastRangeUpdate = head.number
    const range = {
      earliestBlock: chain.earliestBlock?.() ?? 0n,
      latestBlock: head.number,
      latestBlockHash: head.hash,
    }
    for (const p of peers) if (p.version >= 69) p.queueBlockRangeUpdate(range)
  }

  // ---------------------------------------------------------------------------------------------
  // Broadcast

  let broadcastChain: Promise<unknown> = Promise.resolve()
  /** Broadcasts run one at a time, in call order (a propagate is done before the announce after it). */
  const broadcastBlock = (block: Block, propagate: boolean): Promise<number> => {
    const p = broadcastChain.then(() => doBroadcast(block, propagate))
    broadcastChain = p.catch(() => {})
    return p.catch((err) => {
      log.warn('broadcast failed', { error: String(err) })
      return 0
    })
  }

  const doBroadcast = async (block: Block, propagate: boolean): Promise<number> => {
    const hash = block.hash
    const without = peers.peersWithoutBlock(hash).filter((p) => p.version < 69)
    if (propagate) {
      const number = block.header.number
      const parentTd =
        number > 0n ? await chain.getTd(block.header.parentHash, number - 1n) : undefined
      if (parentTd === undefined) {
        log.warn('propagating dangling block: parent unknown', {
          number,
          hash: bytesToHex(hash),
        })
        return 0
      }
      const td = parentTd + block.header.difficulty
      // Peers may have learnt of the block while we looked up the TD.
      const lacking = without.filter((p) => !p.knowsBlock(hash) && !p.closed)
      const chosen = pickRandom(lacking, propagationCount(lacking.length), random)
      for (const p of chosen) p.queueNewBlock(block, td)
      log.debug('propagated block', { number, recipients: chosen.length })
      return chosen.length
    }
    const entry = { hash, number: block.header.number }
    for (const p of without) p.queueNewBlockHashes([entry])
    log.debug('announced block', { number: block.header.number, recipients: without.length })
    return without.length
  }

  // ---------------------------------------------------------------------------------------------

  return {
    start() {
      if (running || stopped) return
      running = true
      blockFetcher.start()
      txFetcher.start()
      txSync.start()
      if (txPool?.onPending !== undefined) {
        unsubscribePool = txPool.onPending((txs: readonly PooledTx[]) => {
          if (!running) return
          if (txBroadcastDelayMs <= 0) {
            txSync.broadcast(txs.map(txOf))
            return
          }
          for (const t of txs) txBatch.push(t)
          txBatchTimer ??= clock.setTimeout(flushTxBatch, txBroadcastDelayMs)
        })
      }
      syncTimer = clock.setTimeout(forceSync, syncIntervalMs)
      releaseWaiting()
    },
    async stop() {
      if (stopped) return
      stopped = true
      running = false
      releaseWaiting()
      if (syncTimer !== undefined) clock.clearTimeout(syncTimer)
      syncTimer = undefined
      unsubscribePool?.()
      unsubscribePool = undefined
      if (txBatchTimer !== undefined) clock.clearTimeout(txBatchTimer)
      txBatchTimer = undefined
      txBatch = []
      handshakeAbort.abort(new Error('protocol manager stopped'))
      await downloader.terminate().catch(() => {})
      blockFetcher.stop()
      txFetcher.stop()
      txSync.stop()
      await peers.close(DisconnectReason.ClientQuitting)
      await Promise.allSettled([...active])
      await syncInFlight?.catch(() => {})
      await broadcastChain
      // A sync that ended during shutdown may have re-armed the timer.
      if (syncTimer !== undefined) clock.clearTimeout(syncTimer)
      syncTimer = undefined
    },
    handle,
    get peerCount() {
      return peers.size
    },
    peerInfos: () => peers.peers().map(info),
    async disconnect(id, reason = DisconnectReason.Requested) {
      const p = peers.get(id)
      if (p !== undefined) await p.disconnect(reason)
    },
    broadcastBlock,
    async announceMined(block) {
      await broadcastBlock(block, true)
      await broadcastBlock(block, false)
      afterHeadChange()
    },
    syncNow: () => synchronise(peers.bestPeer()),
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

function insertedCount(r: number | { readonly inserted: number }): number {
  return typeof r === 'number' ? r : r.inserted
}

/** The codes along an error's cause chain (e.g. ErrBadPeer ← ErrInvalidHeader ← ErrUnauthorizedSigner). */
function causes(err: unknown): { causes?: string[] } {
  const out: string[] = []
  let c = (err as { cause?: unknown }).cause
  for (let i = 0; i < 5 && c !== undefined && c !== null; i++) {
    const e = c as { code?: unknown; message?: unknown; cause?: unknown }
    out.push(typeof e.code === 'string' ? e.code : String(e.message ?? c))
    c = e.cause
  }
  return out.length > 0 ? { causes: out } : {}
}
