/**
 * What the protocol manager needs from the rest of a node, declared here as narrowly as it
 * needs it (structural typing does the rest): the chain it serves from and imports into, and
 * the transaction pool. `@ethwire/chain`'s `Chain` and `@ethwire/txpool`'s pool fit as they are;
 * nothing here imports them.
 */
import type { Block, BlockBody, BlockHeader, ReceiptData, Transaction } from '@ethwire/rlp-wire'

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>

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
  /** Adds remote transactions; one result per transaction (errors are the pool's business). */
  addRemotes(txs: Transaction[]): MaybePromise<readonly unknown[]>
  /** Every pending transaction, for the initial sync of a new peer. */
  pendingList(): readonly PooledTx[]
  /** Subscribes to transactions that became pending; returns the unsubscribe function. */
  onPending?(listener: (txs: readonly PooledTx[]) => void): () => void
}

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void
  info(message: string, context?: Record<string, unknown>): void
  warn(message: string, context?: Record<string, unknown>): void
}

export interface Clock {
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** A random source returning a float in [0, 1). */
export type RandomSource = () => number
