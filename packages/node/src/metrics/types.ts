/**
 * What the metrics module reads from the rest of a node, declared here as narrowly as it needs it
 * (structural typing does the rest): nothing here imports protocol-manager, chain, txpool,
 * fetcher or the transports. Each source below says which object of the stack fits it today and,
 * where a hook is still missing, what its owning package must add (marked "hook to add").
 */
import type { Msg } from '@ethwire/interface'

/** `'in'` for a message read from a peer, `'out'` for one written to it. */
export type MsgDirection = 'in' | 'out'

/**
 * The per-message hook: one call per eth message read or written, with its code (relative to the
 * eth offset) and payload size. Names come from `@ethwire/rlp-wire`'s `MsgCode` table, so callers
 * pass none. Allocation-free and a few ns when enabled; an empty function when disabled.
 */
export type MsgObserver = (direction: MsgDirection, code: number, bytes: number) => void

/** The request kinds whose round trips are timed (go-ethereum's request tracker kinds). */
export type RequestKind = 'headers' | 'bodies' | 'receipts' | 'node_data' | 'pooled_txs'

/**
 * The per-request hook, for a requester that times its own requests (peerset's `Peer` would call
 * it when an answer arrives, or with `ok: false` on timeout / abort). `seconds` is the round trip.
 */
export type RequestObserver = (kind: RequestKind, seconds: number, ok: boolean) => void

// -------------------------------------------------------------------------------------------------
// Protocol manager

/** A connected peer as the metrics count it (`@ethwire/protocol-manager`'s `PeerInfo` fits). */
export interface PeerLike {
  readonly transport: string
  readonly version: number
  readonly inbound?: boolean
}

/** The head numbers of a sync (`pm.syncing()` and the downloader's `progress()` fit). */
export interface SyncStatusLike {
  readonly startingBlock: bigint
  readonly currentBlock: bigint
  readonly highestBlock: bigint
  /** Fast sync: state entries downloaded (the downloader's `progress()` has it). */
  readonly pulledStates?: number
  /** Fast sync: `pulledStates` plus those known to be missing. */
  readonly knownStates?: number
}

/** Events of the protocol manager the metrics subscribe to. */
export interface PmEventMap {
  'peer:added': PeerLike
  /** `error` is the drop code (`ErrBadPeer`, `ErrMsgTooLarge`, …); absent when the peer just left. */
  'peer:removed': PeerLike & { readonly error?: string }
  'sync:done': unknown
  'sync:failed': unknown
  'block:imported': { readonly count: number; readonly source: string }
}

/**
 * Cumulative counters of the protocol manager (`ProtocolManagerStats`; every field optional, so
 * a renamed or missing one reads as "not reported" instead of failing the scrape).
 */
export interface PmStatsLike {
  readonly newBlockReceived?: number
  readonly newBlockHashesReceived?: number
  readonly blocksImportedByFetcher?: number
  readonly txsBroadcastReceived?: number
  readonly txsBroadcastKnown?: number
  readonly pooledTxsReceived?: number
  readonly pooledTxsKnown?: number
  readonly txHashesAnnounced?: number
  readonly txHashesAnnouncedKnown?: number
}

/** The block fetcher's current state (`@ethwire/fetcher`'s `BlockFetcherStats` fits). */
export interface BlockFetcherStatsLike {
  readonly announced: number
  readonly fetching: number
  readonly fetched: number
  readonly completing: number
  readonly queued: number
  readonly importing: number
}

/** The tx fetcher's current state (`@ethwire/fetcher`'s `TxFetcherStats` fits). */
export interface TxFetcherStatsLike {
  readonly waiting: number
  readonly queued: number
  readonly fetching: number
  readonly requests: number
}

/**
 * The protocol manager as the metrics read it; `@ethwire/protocol-manager`'s `ProtocolManager`
 * fits as it is today. `on` returns the unsubscribe function.
 */
export interface PmSource {
  on<K extends keyof PmEventMap>(event: K, listener: (value: PmEventMap[K]) => void): () => void
  /** Read at each scrape for `ethwire_peers` (so the gauge is right whenever metrics attach). */
  peerInfos(): readonly PeerLike[]
  /** Read at each scrape: false when idle. */
  syncing(): false | SyncStatusLike
  /** Read at each scrape for the fetcher counters (see `attachProtocolManager`). */
  stats?(): PmStatsLike
  /** The parts whose state is read at each scrape (all optional). */
  readonly parts?: {
    readonly downloader?: { progress(): SyncStatusLike }
    readonly blockFetcher?: { stats(): BlockFetcherStatsLike }
    readonly txFetcher?: { stats(): TxFetcherStatsLike }
  }
}

// -------------------------------------------------------------------------------------------------
// Chain

/** A header as the chain events carry it. */
export interface HeaderLike {
  readonly number: bigint
}

/**
 * Hook to add (`@ethwire/chain`): one event per `insertChain` batch (and per `insertReceiptChain`
 * batch with `executionMs` absent), emitted with the chain's other events, after the batch was
 * written. `elapsedMs` is the whole batch (checks, execution, write), `executionMs` the part spent
 * in the executor.
 */
export interface ChainImportEvent {
  readonly type: 'import'
  readonly blocks: number
  readonly elapsedMs: number
  readonly executionMs?: number
  readonly txs?: number
  readonly gasUsed?: bigint
}

/** The chain events the metrics read (`@ethwire/chain`'s `ChainEvent`, plus the import hook). */
export type ChainEventLike =
  | { readonly type: 'head'; readonly header: HeaderLike }
  | {
      readonly type: 'reorg'
      readonly oldHead: HeaderLike
      readonly newHead: HeaderLike
      readonly ancestor: bigint
    }
  | { readonly type: 'block'; readonly canonical: boolean }
  | ChainImportEvent

/** `@ethwire/chain`'s `Chain` fits: `on(listener)` returns the unsubscribe function. */
export interface ChainSource {
  on(listener: (event: ChainEventLike) => void): () => unknown
  /** Read once at attach, so the head gauge is set before the first head event. */
  currentHeader?(): HeaderLike
}

// -------------------------------------------------------------------------------------------------
// Transaction pool

/** Sizes of the pool. */
export interface PoolStatsLike {
  readonly pending: number
  readonly queued: number
  /** Local transactions (hook to add in `@ethwire/txpool`: `stats()` with this count). */
  readonly local?: number
}

/**
 * The pool as the metrics read it, at each scrape: `stats()` when it has one (hook to add),
 * else `status()` (`@ethwire/txpool`'s pool has it today: pending and queued, no locals).
 */
export interface PoolSource {
  stats?(): PoolStatsLike
  status?(): PoolStatsLike
}

// -------------------------------------------------------------------------------------------------
// Fetchers

/** Block fetcher events counted in `ethwire_block_fetcher_events_total{event}`. */
export type BlockFetcherEvent =
  /** A hash announced (NewBlockHashes entry) taken / dropped (over limits, too far) / DoS-limited. */
  | 'announce_in'
  | 'announce_drop'
  | 'announce_dos'
  /** A whole block (NewBlock) taken / dropped / DoS-limited. */
  | 'broadcast_in'
  | 'broadcast_drop'
  | 'broadcast_dos'
  /** Header and body requests sent, and fetches that timed out. */
  | 'header_fetch'
  | 'body_fetch'
  | 'fetch_timeout'
  /** Blocks imported by the fetcher, and imports that failed. */
  | 'import'
  | 'import_fail'

/** Tx fetcher events counted in `ethwire_tx_fetcher_events_total{event}` (per hash / per tx). */
export type TxFetcherEvent =
  /** Announced hashes: taken, already known, over the peer's limit. */
  | 'announce_in'
  | 'announce_known'
  | 'announce_dos'
  /** Broadcast transactions: received, already known. */
  | 'broadcast_in'
  | 'broadcast_known'
  /** Requests (GetPooledTransactions) sent, failed, answered, timed out. */
  | 'request_out'
  | 'request_fail'
  | 'request_done'
  | 'request_timeout'
  /** Requested transactions: delivered, already known, refused by the pool. */
  | 'reply_in'
  | 'reply_known'
  | 'reply_reject'

/**
 * Hook to add (`@ethwire/fetcher`): an optional `onEvent` dep the fetchers call as things happen,
 * `n` the number of hashes / transactions / blocks (default 1). The metrics' `fetcherObserver`
 * is one.
 */
export interface FetcherObserver {
  block(event: BlockFetcherEvent, n?: number): void
  tx(event: TxFetcherEvent, n?: number): void
}

// -------------------------------------------------------------------------------------------------
// JSON-RPC and connections

/** A JSON-RPC method table (the node's `RpcMethods` fits). */
export type RpcMethodTable = Record<string, (params: unknown[]) => unknown>

/**
 * The part of an eth connection the message counter wraps (`EthConnection` of
 * `@ethwire/interface`); everything else is passed through.
 */
export interface MsgConnection {
  readonly version: number
  readMsg(signal?: AbortSignal): Promise<Msg>
  writeMsg(code: number, payload: Uint8Array): Promise<void>
}
