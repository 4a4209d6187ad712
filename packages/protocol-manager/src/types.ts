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
import type {
  Downloader,
  DownloaderOptions,
  RootHasher,
  StateSyncFactory,
  SyncMode,
  SyncResult,
} from '@ethwire/downloader'
import type {
  BlockFetcher,
  BlockFetcherOptions,
  TxFetcher,
  TxFetcherOptions,
} from '@ethwire/fetcher'
import type { ForkConfig } from '@ethwire/handshake'
import type { AbortOptions, Clock, RandomSource, Logger as SharedLogger } from '@ethwire/interface'
import type {
  FloodKind,
  FloodLimits,
  FloodLimitsOptions,
  Offence,
  OffenceKind,
  Peer,
  PeerKind,
  PeerScores,
  PeerScoresOptions,
  PeerSet,
  ReportOutcome,
  TokenBucketOptions,
} from '@ethwire/peerset'
import type {
  Block,
  BlockBody,
  BlockHeader,
  EthConnection,
  EthMessageOf,
  ReceiptData,
  Transaction,
} from '@ethwire/rlp-wire'
import type { TxSync } from '@ethwire/txsync'

/** Time and timers, and a random source in [0, 1): the shared contracts of `@ethwire/interface`. */
/** Reputation and flood-limit types of `@ethwire/peerset`, as the manager uses them. */
export type {
  Clock,
  FloodKind,
  Offence,
  OffenceKind,
  PeerKind,
  RandomSource,
  ReportOutcome,
  StateSyncFactory,
  SyncMode,
}

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
  /**
   * The body's RLP as stored (`[txs, uncles, withdrawals?]`, the wire encoding); optional. When
   * present, GetBlockBodies is answered from it without decoding and re-encoding each body.
   */
  getBodyRlp?(hash: Uint8Array): Promise<Uint8Array | undefined>
  getReceipts(hash: Uint8Array): Promise<ReceiptData[] | undefined>
  /** Trie node or contract code by hash (eth/63-66 GetNodeData); optional. */
  getNodeData?(hash: Uint8Array): Promise<Uint8Array | undefined>
  /** The same for many hashes at once (one batched read); used instead when present. */
  getNodeDataMany?(hashes: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>
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
  /**
   * The chain config (a genesis.json's `config`), read for `daoForkBlock` and `daoForkSupport`
   * when the `daoFork` option is not given (`@ethwire/chain`'s `Chain` has it).
   */
  readonly config?: { readonly [key: string]: unknown }
  /**
   * Fast sync (all three or none; `@ethwire/chain`'s `Chain` has them): the head of the blocks
   * stored with their receipts, state or not (go-ethereum's `CurrentFastBlock`).
   */
  currentFastHeader?(): BlockHeader
  /** Fast sync: stores blocks with their receipts without executing them (`InsertReceiptChain`). */
  insertReceiptChain?(
    blocks: Block[],
    receipts: ReceiptData[][],
    signal?: AbortSignal,
    /**
     * `seals[i]` false: block i's seal need not be checked (a fast sync's sampled check);
     * `rootsChecked`: bodies and receipts were matched to their headers' roots already.
     */
    options?: { seals?: readonly boolean[]; rootsChecked?: boolean },
  ): Promise<number | { readonly inserted: number }>
  /** Fast sync: the pivot's state is complete, make it the head (`FastSyncCommitHead`). */
  commitFastSyncHead?(hash: Uint8Array, number: bigint): Promise<void>
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
  /**
   * Fast sync: the trie-sync scheduler factory handed to the downloader (e.g. `@ethwire/state`'s
   * `createStateSync` over the node's database). Without it every sync is full.
   */
  stateSync?: StateSyncFactory
  /**
   * Hashes the transaction roots of downloaded bodies and the roots of downloaded receipt lists
   * away from the main thread (e.g. `@ethwire/node`'s worker-thread `createRootPool`), handed to
   * the downloader. Without it they are hashed inline.
   */
  rootHasher?: RootHasher
  /**
   * The reputation table (`@ethwire/peerset`'s `PeerScores`): the peer set refuses banned ids,
   * offences are reported to it, eviction reads it. Default: one of the manager's own on its
   * clock, with the `reputation` options. Pass one to share it with a dialler (so it skips banned
   * ids) or to keep bans across managers.
   */
  scores?: PeerScores
  /**
   * Flood limits (`@ethwire/peerset`'s `FloodLimits`): token buckets per peer and kind for the
   * announcements we take and the requests we serve. Default: the manager's own on its clock,
   * with the `floodLimits` options.
   */
  limits?: FloodLimits
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
  /**
   * How to sync (go-ethereum's `--syncmode`): `fast` (default with a `stateSync` dep and a chain
   * with the fast-sync methods) syncs fast while our head is at genesis, then switches to `full`
   * after the first successful sync; `full` (the default otherwise) always replays every block.
   */
  syncMode?: SyncMode
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
  /**
   * The DAO-fork challenge (go-ethereum v1.8): each new peer is asked for the fork block's header
   * and dropped when it is on the other side. Default: from the chain's config
   * (`daoForkBlock`, `daoForkSupport`); no challenge without a fork block.
   */
  daoFork?: DaoForkConfig
  /**
   * Limits of header answers and eth/70 receipts answers, over the defaults
   * (`serveLimits(version)`): e.g. a lower eth/70 `maxPacketBytes`, so receipts are cut sooner.
   */
  serveLimits?: Partial<ServeLimits>
  /** Passed to the downloader / the fetchers. */
  downloader?: DownloaderOptions
  blockFetcher?: BlockFetcherOptions
  txFetcher?: TxFetcherOptions
  /**
   * Peer ids (the connection's `remoteId`) marked `trusted` in the reputation table: their
   * offences cost at most 2, they are never banned nor evicted, and one that arrives when the
   * peer set is full takes the slot of the peer `peers.evictionCandidate()` picks.
   */
  trustedPeers?: readonly string[]
  /** Peer ids marked `static` in the reputation table: scored and banned as any, never evicted. */
  staticPeers?: readonly string[]
  /** Options of the manager's own `PeerScores` (ignored when `deps.scores` is given). */
  reputation?: PeerScoresOptions
  /** Options of the manager's own `FloodLimits` (ignored when `deps.limits` is given). */
  floodLimits?: FloodLimitsOptions
  /**
   * GetNodeData serving per peer, in trie nodes and code entries (`FloodLimits` has no kind for
   * it): default 32,768 a second with a burst of 32,768 (`nodeDataServedPerPeerPerSecond`).
   */
  nodeDataServeLimit?: Partial<TokenBucketOptions>
  /**
   * Requests of one peer waiting to be served (each waits its turn and its flood limit); the
   * peer's read loop waits while this many are queued, so its connection takes the back-pressure
   * (default 16, `maxQueuedServeRequests`).
   */
  maxQueuedServeRequests?: number
}

/** The DAO fork as the challenge needs it. */
export interface DaoForkConfig {
  /** The fork block (mainnet 1,920,000). */
  block: bigint
  /** Whether our chain took the fork (mainnet: true; Ethereum Classic: false). */
  support: boolean
  /** How long the peer has to answer (default 15 s, `daoChallengeTimeoutMs`). */
  timeoutMs?: number
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
  /** Reputation score (0 fresh, lower is worse; below −50 the peer is dropped and banned). */
  score?: number
  /** Offences reported since the score was last reset, and the latest of them. */
  offences?: number
  lastOffence?: Offence
  /** `trusted`, `static` or `basic` (see `trustedPeers` / `staticPeers`). */
  kind?: PeerKind
}

export interface SyncingStatus {
  startingBlock: bigint
  currentBlock: bigint
  highestBlock: bigint
  /** How the sync in progress runs. */
  mode?: SyncMode
  /** Fast sync: state trie nodes and code entries downloaded, and those known (eth_syncing). */
  pulledStates?: number
  knownStates?: number
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
  /** One line saying why, as logged: the error's message, or the offence and score for a ban. */
  detail?: string
  /** The offence the drop was scored as, when it was. */
  offence?: OffenceKind
}

/** A connection refused before it became a peer (`peer:refused`). */
export interface RefusedInfo {
  /** The connection's remote id. */
  id: string
  remoteAddress: string
  /**
   * Why: `ErrBanned` (the id is banned), `ErrTooManyPeers`, `ErrAlreadyRegistered`, or the
   * handshake's error code.
   */
  error: string
  /** The devp2p disconnect reason sent. */
  reason: number
  detail?: string
}

/** An offence reported against a peer (`peer:offence`). */
export interface OffenceInfo {
  id: string
  kind: OffenceKind
  /** What was wrong: the request, the error message, … */
  detail?: string
  /** The score after it. */
  score: number
  /** This offence got the peer dropped (its score fell below the ban threshold, or at once). */
  dropped: boolean
}

export interface ProtocolManagerEvents {
  'peer:added': PeerInfo
  'peer:removed': PeerInfo & DropInfo
  /** A connection refused before registration: banned id, full, duplicate, failed handshake. */
  'peer:refused': RefusedInfo
  /** An offence was reported to the reputation table (see README, Reputation). */
  'peer:offence': OffenceInfo
  'sync:start': { peerId: string; ourHead: bigint; mode: SyncMode }
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
  /** The reputation table the peer set consults (`deps.scores` or the manager's own). */
  readonly scores: PeerScores
  /** The flood limits of announcements and serving (`deps.limits` or the manager's own). */
  readonly limits: FloodLimits
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
  /**
   * The mode the next sync takes (while one runs, its mode): `fast` until the first successful
   * fast sync (and while our head is at genesis), `full` after it.
   */
  readonly syncMode: SyncMode
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

/** Limits of the answers we serve. */
export interface ServeLimits {
  softResponseLimitBytes: number
  maxHeaders: number
  /**
   * eth/70: the most bytes of receipt lists in one answer; the block that would go past it is cut
   * and `lastBlockIncomplete` set. Default `receiptsPacketLimitBytes` (10 MiB less 1 KiB).
   */
  maxPacketBytes?: number
}

/** The eth/70 answer to GetReceipts: the lists and whether the last one was cut. */
export interface ReceiptsAnswer {
  receipts: ReceiptData[][]
  lastBlockIncomplete: boolean
}

/** What `deliver` did with a `Receipts` message. */
export type ReceiptsDelivery = 'matched' | 'not-ours' | 'invalid'

export interface ReceiptRequests {
  /**
   * Sends eth/70 `GetReceipts` for `hashes` (the first block's list from
   * `firstBlockReceiptIndex` on) and resolves with the answer. Rejects when `signal` aborts (with
   * its reason), when the peer goes (`PeerError('ErrClosed')`), or with a `ProtocolError`
   * `ErrInvalidReceipts` when the answer has more lists than blocks asked.
   */
  request(
    peer: Peer,
    hashes: Uint8Array[],
    firstBlockReceiptIndex: bigint,
    signal: AbortSignal,
  ): Promise<ReceiptsAnswer>
  /**
   * A `Receipts` message from `peer`: `matched` when it answered one of our requests (resolved),
   * `invalid` when it did but has more lists than asked (rejected; drop the peer), `not-ours`
   * otherwise (hand it to `peer.deliver`).
   */
  deliver(peer: Peer, msg: EthMessageOf<'Receipts'>): ReceiptsDelivery
  /** The peer is gone: its requests reject with `PeerError('ErrClosed')`. */
  removePeer(peer: Peer): void
  /** Requests waiting for an answer (all peers). */
  readonly pending: number
}

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
  /** eth/70: our receipt requests, offered every `Receipts` before the peer is. */
  readonly receipts?: ReceiptRequests
  /** Limits of what we serve, over `serveLimits(version)` (tests lower the eth/70 packet cap). */
  readonly serveLimits?: Partial<ServeLimits>
  /**
   * Flood limits: announcements are `take`n (refused → ignored and reported as `flood`), serving
   * waits for `acquire`, unknown hashes asked for are `take`n (refused → an empty answer and a
   * `flood` report). Without it nothing is limited.
   */
  readonly limits?: FloodLimits
  /** GetNodeData serving: waits until `n` entries may be served to the peer (see `nodeDataServeLimit`). */
  readonly nodeDataLimits?: {
    acquire(peerId: string, n: number, options?: AbortOptions): Promise<void>
  }
  /**
   * Reports an offence of `peer` (the manager: to the reputation table, dropping the peer once it
   * is banned). Without it offences are only logged.
   */
  report?(peer: Peer, kind: OffenceKind, detail: string, cause?: unknown): void
  /**
   * Runs the serving of one request of `peer` after its earlier ones, off its read loop (the
   * manager: a bounded queue per peer; resolves once queued, waiting while the queue is full).
   * `signal` aborts when the peer goes or the manager stops. Without it a request is served
   * inline.
   */
  schedule?(peer: Peer, work: (signal: AbortSignal) => Promise<void>): Promise<void>
}
