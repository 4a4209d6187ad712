/**
 * The interfaces the downloader consumes. They are deliberately narrow: anything with these
 * methods can be synced into (a chain) or synced from (a peer), and any trie-sync scheduler can
 * download the state for fast sync. Nothing here imports another ethwire package except the wire
 * types of `@ethwire/rlp-wire` and the shared contracts of `@ethwire/interface`.
 */
import type { Logger as SharedLogger } from '@ethwire/interface'
import type { Block, BlockBody, BlockHeader, ReceiptData } from '@ethwire/rlp-wire'
import type { DownloaderError } from './errors.js'

export type MaybePromise<T> = T | Promise<T>

/** Head of the local chain as the downloader sees it. */
export interface ChainHead {
  number: bigint
  hash: Uint8Array
  /** Total difficulty of the head block. */
  td: bigint
}

/** How a sync runs: replay every block (`full`), or go-ethereum v1.8's fast sync (`fast`). */
export type SyncMode = 'full' | 'fast'

/**
 * The local chain the downloader imports into. Methods may be synchronous or return promises
 * (a LevelDB-backed chain returns promises).
 *
 * Fast sync needs the three optional methods (`currentFastBlock`, `insertReceiptChain`,
 * `commitFastSyncHead`); a chain without them is always synced in full.
 */
export interface DownloaderChain {
  /** The current head block: the highest block whose state is present (full sync imports on top of it). */
  currentBlock(): MaybePromise<ChainHead>
  /**
   * Whether the block (header and body) with this hash is stored locally — including blocks
   * stored by `insertReceiptChain` without their state.
   */
  hasBlock(hash: Uint8Array, number: bigint): MaybePromise<boolean>
  /** The canonical header at `number`, if any (blocks stored by `insertReceiptChain` included). */
  getHeaderByNumber(number: bigint): MaybePromise<BlockHeader | undefined>
  /** Total difficulty of the stored block, if known. */
  getTd(hash: Uint8Array, number: bigint): MaybePromise<bigint | undefined>
  /**
   * Import blocks, in order, each the child of the previous (the first a child of a stored
   * block), executing each on its parent's state. Resolves to how many blocks were newly
   * imported (already known blocks with state may be skipped; a block stored by
   * `insertReceiptChain` without state must be executed). Rejects when a block is invalid; the
   * error may carry `index`, the position of the first rejected block in `blocks`. A rejection
   * ends the sync with `ErrInvalidChain` and drops the peer that sent the block, unless the
   * error has `local: true` (the chain's own failure: storage, no state to execute on): then
   * the sync ends with `ErrLocalChain` and no peer is blamed.
   */
  insertChain(blocks: Block[]): Promise<number>
  /**
   * Fast sync: the head of the blocks stored with their receipts, whether or not their state is
   * present (go-ethereum's `CurrentFastBlock`). At or above `currentBlock()`.
   */
  currentFastBlock?(): MaybePromise<ChainHead>
  /**
   * Fast sync: store blocks with their receipts WITHOUT executing them (go-ethereum's
   * `InsertReceiptChain`), in order, each the child of the previous, the first a child of a
   * stored block; `receipts[i]` belongs to `blocks[i]` and has been checked against its header's
   * receipts root. Writes total difficulty and the canonical index and moves the fast head
   * (`currentFastBlock`), not the head (`currentBlock`). Resolves to how many were newly stored;
   * rejects like `insertChain`.
   *
   * `options.seals[i]` false: the seal of `blocks[i]` need not be checked (every other header
   * rule and the linkage must be). The downloader checks seals of a sample of the blocks far below
   * the pivot only (go-ethereum's `fsHeaderCheckFrequency`), and of every block near the pivot.
   * `options.rootsChecked`: every body and receipt list was matched to its header's roots (the
   * downloader does so for each delivery), so the chain need not derive them again.
   */
  insertReceiptChain?(
    blocks: Block[],
    receipts: ReceiptData[][],
    options?: { seals?: readonly boolean[]; rootsChecked?: boolean },
  ): Promise<number>
  /**
   * Fast sync: the state of this stored block (the pivot) is complete: make it the head
   * (go-ethereum's `FastSyncCommitHead`). Blocks after it are then imported with `insertChain`
   * and executed on this state. Should reject when the state of its root is not all present.
   */
  commitFastSyncHead?(hash: Uint8Array, number: bigint): Promise<void>
}

/** What a peer announced as its head (from its Status or a later announcement). */
export interface PeerHead {
  hash: Uint8Array
  /** Total difficulty; absent on eth/69 peers. */
  td?: bigint
  /** Head number, when known (eth/69 Status carries it). */
  number?: bigint
}

/**
 * A remote peer as the downloader needs it. Requests are promise based: the peer layer matches
 * responses to requests (request ids) and resolves the promise with the response's items; it
 * rejects when the connection closes or when `signal` aborts. The downloader owns request
 * timeouts: it aborts a request when its time-to-live expires and ignores anything that arrives
 * later, so the peer layer should not time requests out on its own (a shorter peer-level timeout
 * turns the downloader's timeouts into failures and its round-trip estimates never act).
 *
 * The downloader checks everything it receives: a response with items it did not ask for, or
 * headers/bodies/receipts/nodes that do not fit what was asked, gets the peer dropped.
 */
export interface DownloaderPeer {
  readonly id: string
  /** The peer's advertised head. */
  head(): PeerHead
  /** `GetBlockHeaders` with a number origin. */
  requestHeadersByNumber(
    origin: bigint,
    amount: number,
    skip: number,
    reverse: boolean,
    signal: AbortSignal,
  ): Promise<BlockHeader[]>
  /** `GetBlockHeaders` with a hash origin. */
  requestHeadersByHash(
    origin: Uint8Array,
    amount: number,
    skip: number,
    reverse: boolean,
    signal: AbortSignal,
  ): Promise<BlockHeader[]>
  /** `GetBlockBodies`: bodies in the order of `hashes`; may stop early, never reorders. */
  requestBodies(hashes: Uint8Array[], signal: AbortSignal): Promise<BlockBody[]>
  /**
   * `GetReceipts` (eth/63+): one receipt list per block, in the order of `hashes`; may stop
   * early, never reorders. Fast sync asks only peers that have it.
   */
  requestReceipts?(hashes: Uint8Array[], signal: AbortSignal): Promise<ReceiptData[][]>
  /**
   * `GetNodeData` (eth/63–66 only: leave it out for eth/67+ peers, which cannot serve it): state
   * trie nodes and contract code by hash, any subset in any order. A fast sync where no
   * registered peer has it runs as a full sync.
   */
  requestNodeData?(hashes: Uint8Array[], signal: AbortSignal): Promise<Uint8Array[]>
  /**
   * Called once when the downloader gives up on this peer (misbehaviour or repeated timeouts).
   * The peer layer should disconnect it; the downloader has already forgotten it.
   */
  drop(error: DownloaderError): void
}

/**
 * A trie-sync scheduler for the state at one root (fast sync), e.g. go-ethereum's `trie.Sync`
 * behind `@ethwire/state`. The downloader only moves bytes: it asks the scheduler which hashes
 * are missing, requests them from peers with `GetNodeData`, and hands the answers back; checking
 * nodes against their hashes, walking the trie, storage tries, code and storing are the
 * scheduler's job.
 */
export interface StateSync {
  /** The state root this scheduler downloads. */
  readonly root: Uint8Array
  /**
   * Up to `max` hashes (trie nodes or code) that are missing and not handed out yet. A hash is
   * handed out once, until it comes back through `deliver` (not delivered) or `release`.
   */
  missing(max: number): Uint8Array[]
  /**
   * A peer's answer to a request for `requested`: any subset of the nodes, in any order. Every
   * node must hash to one of the requested keys: when one does not, the delivery is refused
   * (`rejected`, a typed error with a `code`; nothing of it is kept) and the downloader drops the
   * peer with `ErrInvalidState`. Requested hashes that were not delivered go back to be handed
   * out again. Rejects only on a local failure (storage), which fails the sync.
   */
  deliver(peerId: string, requested: Uint8Array[], nodes: Uint8Array[]): MaybePromise<StateDelivery>
  /** Hashes handed out whose request expired, failed or was abandoned: hand them out again. */
  release(hashes: Uint8Array[]): void
  /** True once every node and code entry of `root` is stored (committed). */
  done(): boolean
  /** Counters for `eth_syncing`. */
  progress(): StateSyncProgress
  /**
   * The downloader is done with this root (the state is complete, the pivot moved to a newer
   * block, or the sync ended): write what can be written and let go of memory. What is stored
   * stays useful to a later scheduler (a newer root shares most nodes; a restart resumes).
   */
  close(): MaybePromise<void>
}

/** What a scheduler did with one delivery. */
export interface StateDelivery {
  /** Nodes (or code entries) delivered that were needed. */
  accepted: number
  /** Nodes delivered that were not needed any more (already stored or delivered twice). */
  duplicates?: number
  /** Set when the delivery is refused: a node hashes to no requested key. */
  rejected?: { readonly code: string; readonly message: string }
}

export interface StateSyncProgress {
  /** Nodes and code entries downloaded and stored so far. */
  pulled: number
  /** `pulled` plus the ones known to be missing. */
  known: number
}

/** Creates the scheduler for a state root; called again with a new root when the pivot moves. */
export type StateSyncFactory = (root: Uint8Array) => StateSync

/**
 * Computes ordered-trie roots (keys rlp(0), rlp(1), …) away from the calling thread, e.g.
 * `@ethwire/node`'s worker-thread `createRootPool`. The downloader checks delivered bodies'
 * transaction roots and receipt lists' roots through it, and hashes inline without one or when
 * it rejects.
 */
export interface RootHasher {
  /** The root of each list of consensus-encoded items, in order. */
  orderedTrieRoots(lists: readonly (readonly Uint8Array[])[]): Promise<Uint8Array[]>
}

/**
 * Time and timers (`now`, `setTimeout`, `clearTimeout`), injected so tests run on virtual time;
 * and a random source in [0, 1) for tie-breaks between equal peers. The shared contracts.
 */
export type { Clock, RandomSource } from '@ethwire/interface'

/** A logger: `debug` is all the downloader needs; `info` and `warn` are used when present. */
export type Logger = Pick<SharedLogger, 'debug'> & Partial<Pick<SharedLogger, 'info' | 'warn'>>
