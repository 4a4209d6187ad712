/**
 * The types of the protocol manager, in one module every other imports (and that imports none of
 * them), so the modules never import each other in a circle:
 *
 * - what the manager needs from the rest of a node, declared as narrowly as it needs it
 *   (structural typing does the rest): the chain it serves from and imports into, and the
 *   transaction pool. `@ethwire/chain`'s `Chain` and `@ethwire/txpool`'s pool fit as they are;
 *   nothing here imports them;
 * - the public deps, options, events and the `ProtocolManager` itself;
 * - what the handler tables need from the manager (`HandlerContext`).
 */
import type { Downloader, DownloaderOptions, SyncResult } from '@ethwire/downloader'
import type {
  BlockFetcher,
  BlockFetcherOptions,
  TxFetcher,
  TxFetcherOptions,
} from '@ethwire/fetcher'
import type { ForkConfig } from '@ethwire/handshake'
import type { Clock, RandomSource, Logger as SharedLogger } from '@ethwire/interface'
import type { Peer, PeerSet } from '@ethwire/peerset'
import type {
  Block,
  BlockBody,
  BlockHeader,
  EthConnection,
  ReceiptData,
  Transaction,
} from '@ethwire/rlp-wire'
import type { TxSync } from '@ethwire/txsync'

/** Time and timers, and a random source in [0, 1): the shared contracts of `@ethwire/interface`. */
export type { Clock, RandomSource }

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>

/** The levels the manager logs at (any `@ethwire/interface` `Logger` fits). */
export type Logger = Pick<SharedLogger, 'debug' | 'info' | 'warn'>

// ------------------------------------------------------------------------------------------------
// What the manager consumes

/** Read side of the chain, for serving requests. */
export interface ServeChain {
  /** Any known header by hash. */
  getHeaderByHash(hash: Uint8Array): Promise<BlockHeader | undefined>
  /** A known header by hash and number. */
  getHeader(hash: Uint8Array, number: bigint): Promise<BlockHeader | undefined>
  /** The canonical header at a height. */
  getHeaderByNumber(number: bigint): Promise<BlockHeader | undefined>
  getCanonicalHash(number: bigint): Promise<Uint8Array | undefined>
  getBody(hash: Uint8Array): Promise<BlockBody | undefined>
  getReceipts(hash: Uint8Array): Promise<ReceiptData[] | undefined>
  /** Trie node or contract code by hash (eth/63-66 GetNodeData); optional. */
  getNodeData?(hash: Uint8Array): Promise<Uint8Array | undefined>
}

/**
 * A transaction as a pool hands it out: the wire `Transaction` itself, or a pool entry wrapping
 * it (`@ethwire/txpool`'s `PoolTransaction` has `tx`).
 */
export type PooledTx = Transaction | { readonly tx: Transaction }

/** The pool, for serving GetPooledTransactions. */
export interface ServeTxPool {
  get(hash: Uint8Array): PooledTx | undefined
}

/** The chain as the protocol manager drives it: serving, head, total difficulty, import. */
export interface PmChain extends ServeChain {
  /** The genesis header (its hash goes into the Status). */
  readonly genesis: { readonly hash: Uint8Array }
  /** Head of the canonical chain (full blocks). */
  currentHeader(): BlockHeader
  /** Total difficulty of a stored block (the number may be ignored). */
  getTd(hash: Uint8Array, number: bigint): Promise<bigint | undefined>
  /** Whether the whole block is stored (the number may be ignored). */
  hasBlock(hash: Uint8Array, number: bigint): Promise<boolean>
  getBlockByHash(hash: Uint8Array): Promise<Block | undefined>
  /**
   * Imports consecutive blocks; resolves to the number newly imported or to an object with
   * `inserted` (`@ethwire/chain` returns `{ inserted, known, headChanged }`). Rejects on an
   * invalid block.
   */
  insertChain(blocks: Block[]): Promise<number | { readonly inserted: number }>
  /** Earliest block whose body we serve (eth/69 block range); default 0. */
  earliestBlock?(): bigint
}

/** The transaction pool as the protocol manager feeds and reads it. */
export interface PmTxPool extends ServeTxPool {
  has(hash: Uint8Array): boolean
  /**
   * Adds remote transactions; one result per transaction (errors are the pool's business, but a
   * result `{ peerFault: true }` makes the tx fetcher drop the sender and fetch it elsewhere).
   */
  addRemotes(txs: Transaction[]): MaybePromise<readonly unknown[]>
  /** Every pending transaction, for the initial sync of a new peer. */
  pendingList(): readonly PooledTx[]
  /** Subscribes to transactions that became pending; returns the unsubscribe function. */
  onPending?(listener: (txs: readonly PooledTx[]) => void): () => void
}

// ------------------------------------------------------------------------------------------------
// The manager

export interface ProtocolManagerDeps {
  /** The chain we serve from and import into (`@ethwire/chain`'s `Chain` fits). */
  chain: PmChain
  /** The transaction pool (`@ethwire/txpool`'s pool fits). Without one, transactions are ignored. */
  txPool?: PmTxPool
  /** The consensus engine's header check, used by the block fetcher; default: accept. */
  verifyHeader?: (header: BlockHeader) => MaybePromise<void>
  /** Default: `systemClock` of `@ethwire/interface/runtime`. */
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
  /** Peers needed before an arriving peer triggers a sync (default 5, at most `maxPeers`). */
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
  /** Block range (eth/69+). */
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

/** Why a peer was dropped, as `peer:removed` reports it. */
export interface DropInfo {
  /** The `ProtocolError` code (or another typed error's code) the peer was dropped for. */
  error?: string
  /** The code of the error behind it (e.g. the downloader's `ErrTimeout` behind `ErrBadPeer`). */
  cause?: string
  /** The devp2p disconnect reason the peer was sent. */
  reason?: number
}

export interface ProtocolManagerEvents {
  'peer:added': PeerInfo
  'peer:removed': PeerInfo & DropInfo
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

/** The parts the manager composes, for tests and metrics. */
export interface ProtocolManagerParts {
  readonly peers: PeerSet<Peer>
  readonly downloader: Downloader
  readonly blockFetcher: BlockFetcher
  readonly txFetcher: TxFetcher
  readonly txSync: TxSync<Transaction, Peer>
}

export interface ProtocolManager {
  /**
   * Starts the syncer timer, the fetchers and txsync; subscribes to the pool's new transactions.
   * Connections handed to `handle` before `start` wait for it. A second call is a no-op; after
   * `stop()` it rejects with `ProtocolManagerError('ErrStopped')`.
   */
  start(): Promise<void>
  /**
   * Stops the loops and the downloader, disconnects every peer with ClientQuitting; leaves no
   * timers. Idempotent.
   */
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
   * hash to every peer that lacks it. eth/69+ peers get neither. Resolves to the number of peers
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
  readonly parts: ProtocolManagerParts
}

// ------------------------------------------------------------------------------------------------
// Between the modules

/** What the handlers need from the manager. */
export interface HandlerContext {
  readonly chain: PmChain
  readonly txPool: PmTxPool | undefined
  readonly log: Logger
  /** The manager's counters; handlers add to the received-side ones. */
  readonly stats: ProtocolManagerStats
  readonly acceptTxs: boolean
  readonly blockFetcher: BlockFetcher
  readonly txFetcher: TxFetcher
  readonly downloader: Downloader
  /** A NewBlock showed the peer's chain heavier than ours: sync with it. */
  onPeerAhead(peer: Peer): void
}
