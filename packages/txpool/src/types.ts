/**
 * Interfaces the pool consumes. Structural: any object with these methods will do.
 * `@ethwire/chain`'s `Chain` fits {@link PoolChain} with a `stateAt` added (a state reader at a
 * root, from `@ethwire/state`); {@link StateReader} is what a state reader must answer.
 */
import type { Transaction } from '@ethwire/rlp-wire'

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>

/** Account state at one state root. Sync or async. */
export interface StateReader {
  getNonce(address: Uint8Array): MaybePromise<bigint>
  getBalance(address: Uint8Array): MaybePromise<bigint>
  /**
   * The account's code (empty when none). Optional: when given, a sender with code that is not an
   * EIP-7702 delegation (`0xef0100 ‖ address`) is refused ("sender not an eoa", EIP-3607).
   */
  getCode?(address: Uint8Array): MaybePromise<Uint8Array>
}

/** The header fields the pool reads (rlp-wire's `BlockHeader` has them all). */
export interface PoolHeader {
  readonly hash: Uint8Array
  readonly parentHash: Uint8Array
  readonly number: bigint
  readonly stateRoot: Uint8Array
  readonly gasLimit: bigint
  readonly gasUsed: bigint
  readonly time: bigint
  /** EIP-1559 base fee; absent before London. */
  readonly baseFee?: bigint
}

/** A block as the pool reads it on a reorg (rlp-wire's `Block` fits). */
export interface PoolBlock {
  readonly header: PoolHeader
  readonly transactions: readonly Transaction[]
}

/**
 * What the pool needs of the chain to follow the head (`reset`): the head, blocks by hash (to
 * walk both branches of a reorg to their common ancestor) and the state at a header's root.
 */
export interface PoolChain {
  /** Head of the canonical chain. */
  currentHeader(): PoolHeader
  /** Any stored block (canonical or not) by hash. */
  getBlockByHash(hash: Uint8Array): MaybePromise<PoolBlock | undefined>
  /** A reader of the state at `root` (a header's `stateRoot`); throws or rejects if not stored. */
  stateAt(root: Uint8Array): MaybePromise<StateReader>
}

/**
 * KZG proof checks for blob sidecars. `createKzgVerifier()` is the default (pure JS,
 * micro-eth-signer with the Ethereum trusted setup, loaded on first use).
 */
export interface BlobVerifier {
  /** EIP-4844 sidecar (version 0): one proof per blob. True when every proof verifies. */
  verifyBlobProofs(
    blobs: readonly Uint8Array[],
    commitments: readonly Uint8Array[],
    proofs: readonly Uint8Array[],
  ): MaybePromise<boolean>
  /** EIP-7594 sidecar (version 1): 128 cell proofs per blob, blob by blob. True when all verify. */
  verifyCellProofs(
    blobs: readonly Uint8Array[],
    commitments: readonly Uint8Array[],
    proofs: readonly Uint8Array[],
  ): MaybePromise<boolean>
}

/** What the pool needs from a batch recovery pool (`@ethwire/crypto`'s `createRecoveryPool`). */
export interface BatchRecoverer {
  recoverAddresses(
    batch: ReadonlyArray<{ hash: Uint8Array; r: bigint; s: bigint; recovery: number }>,
    opts?: { signal?: AbortSignal },
  ): Promise<Array<Uint8Array | null>>
}

/** Where local transactions are journaled. `createFileJournal(path)` is the disk one. */
export interface JournalStore {
  /** All entries written so far, oldest first (empty when none). */
  load(): Promise<Uint8Array[]>
  /** Appends one entry. */
  append(entry: Uint8Array): Promise<void>
  /** Replaces the whole journal with these entries (atomically where the store can). */
  rewrite(entries: Uint8Array[]): Promise<void>
  close(): Promise<void>
}
