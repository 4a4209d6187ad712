/**
 * What the fetchers consume, declared as narrowly as they need it. Anything with these shapes
 * (a chain, a consensus engine, a peer set, a tx pool) can be plugged in; nothing here imports
 * another ethwire package except the wire types of `@ethwire/rlp-wire` and the shared contracts
 * of `@ethwire/interface`.
 */
import type { Clock, RandomSource } from '@ethwire/interface'
import type { Block, BlockBody, BlockHeader, Transaction } from '@ethwire/rlp-wire'

/** A value or a promise of it: callbacks may answer synchronously or not. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Sends `GetBlockHeaders` for one hash to the announcing peer. Fire and forget: the answer comes
 * back through `filterHeaders`. A rejected promise is treated like a request that timed out.
 * The fetcher owns the request's timeout: `signal` aborts once it no longer waits for the
 * answer (the peer layer should give the request no timeout of its own).
 */
export type HeaderRequester = (hash: Uint8Array, signal: AbortSignal) => MaybePromise<unknown>

/**
 * Sends `GetBlockBodies` for the hashes to the announcing peer; answers come through
 * `filterBodies`. `signal` as for {@link HeaderRequester}.
 */
export type BodiesRequester = (hashes: Uint8Array[], signal: AbortSignal) => MaybePromise<unknown>

/** One `NewBlockHashes` entry as the block fetcher sees it. */
export interface BlockAnnouncement {
  peerId: string
  hash: Uint8Array
  number: bigint
  /** When the announcement arrived (clock milliseconds); defaults to `clock.now()`. */
  time?: number
  fetchHeader: HeaderRequester
  fetchBodies: BodiesRequester
}

/** The callbacks the block fetcher needs from the node. */
export interface BlockFetcherDeps {
  /** A block of the local chain by hash (undefined when we do not have it). */
  getBlock(hash: Uint8Array): MaybePromise<Block | undefined>
  /**
   * Consensus check of a header (the engine looks up the parent itself). Throws when invalid; an
   * error whose `code` is `'ErrFutureBlock'` means "valid but from the future": the block is not
   * propagated but is still imported and the peer is not dropped.
   */
  verifyHeader(header: BlockHeader): MaybePromise<void>
  /** `propagate`: send the whole block to √n peers; otherwise announce its hash to the rest. */
  broadcastBlock(block: Block, propagate: boolean): void
  /** Number of the local head block. */
  chainHeight(): bigint
  /** Imports blocks (given in order); throws on failure. */
  insertChain(blocks: Block[]): MaybePromise<unknown>
  /** Disconnects a peer that announced or delivered something invalid. */
  dropPeer(peerId: string, reason: Error): void
  clock?: Clock
  random?: RandomSource
}

/** The callbacks the tx fetcher needs from the node. */
export interface TxFetcherDeps {
  /** True when the pool already has (or recently saw) the transaction. */
  hasTx(hash: Uint8Array): boolean
  /**
   * Sends `GetPooledTransactions` for the hashes to the peer. Fire and forget: the answer comes
   * back through `enqueue(peerId, txs, true)`. A rejected promise counts as "nothing delivered".
   * The fetcher owns the request's timeout: after `fetchTimeoutMs` it asks other announcers but
   * keeps the peer busy until it answers (go-ethereum's tx fetcher); `signal` aborts when the
   * answer is no longer wanted (the peer is removed, the fetcher stops).
   */
  requestTxs(peerId: string, hashes: Uint8Array[], signal: AbortSignal): MaybePromise<unknown>
  /**
   * Hands accepted transactions to the pool. It may resolve to one result per transaction (as
   * `@ethwire/txpool`'s `addRemotes` does): a result that is an object with `peerFault: true`
   * (a blob transaction without its sidecar, or whose sidecar does not match) makes the fetcher
   * penalize the sender with `ErrInvalidTx` and fetch the transaction from another announcer.
   */
  addTxs(txs: Transaction[], peerId: string): MaybePromise<unknown>
  /**
   * A peer broke a rule: delivered what was not requested (`ErrUnrequestedTx`), the same
   * transaction twice (`ErrDuplicateTx`), a blob transaction by broadcast (`ErrBroadcastBlobTx`),
   * a transaction the pool found malformed (`ErrInvalidTx`), or announced a transaction with
   * another type or size than the one delivered (`ErrTxTypeMismatch`, `ErrTxSizeMismatch`; the
   * announcer is penalized, whoever delivered). go-ethereum drops the peer for each of these.
   * At most one call per rule per delivered message.
   */
  penalize(peerId: string, error: Error): void
  clock?: Clock
  random?: RandomSource
}

export type { Block, BlockBody, BlockHeader, Transaction }
