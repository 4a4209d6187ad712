/**
 * Interfaces @ethwire/executor consumes and the shapes it returns. The state interface is the
 * narrow part of `@ethwire/state`'s `WorldState` the executor needs (structural typing: any object
 * with these methods fits); the block types are `@ethwire/rlp-wire`'s.
 */
import type { Block, BlockHeader, ReceiptData, Transaction, Withdrawal } from '@ethwire/rlp-wire'

/** An account as stored in the state trie. */
export interface Account {
  nonce: bigint
  balance: bigint
  storageRoot: Uint8Array
  codeHash: Uint8Array
}

/** A write the caller puts into its own LevelDB batch. */
export interface BatchOp {
  type: 'put'
  key: Uint8Array
  value: Uint8Array
}

/**
 * One block's worth of buffered state changes on top of a stored root (`@ethwire/state`'s
 * `WorldState`). Addresses are 20 bytes, slots and storage values 32 bytes (zero = absent).
 */
export interface WorldState {
  getAccount(address: Uint8Array): Promise<Account | undefined>
  getStorage(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array>
  getCode(codeHash: Uint8Array): Promise<Uint8Array | undefined>
  /** `undefined` deletes the account (and its storage). */
  setAccount(address: Uint8Array, account: Account | undefined): void | Promise<void>
  /** A zero value deletes the slot. */
  setStorage(address: Uint8Array, slot: Uint8Array, value: Uint8Array): void | Promise<void>
  /** Storage back to empty (selfdestruct, or a create over an address that had storage). */
  clearStorage(address: Uint8Array): void | Promise<void>
  setCode(codeHash: Uint8Array, code: Uint8Array): void | Promise<void>
  /** Optional: loads what a block is about to read in batched store reads (`@ethwire/state` has it). */
  prefetch?(
    accounts: readonly Uint8Array[],
    slots?: readonly (readonly [address: Uint8Array, slot: Uint8Array])[],
  ): Promise<void>
  /** Root of the state with every change so far (hashes only what changed since the last call). */
  root(): Promise<Uint8Array>
  /** Root and the write ops of every node and code blob this world state created. */
  commit(): Promise<{ root: Uint8Array; ops: BatchOp[] }>
}

/** Opens a mutable world state over a stored state root (`@ethwire/state`'s `StateDatabase`). */
export interface StateOpener {
  open(root: Uint8Array): WorldState | Promise<WorldState>
  /** Whether the state at `root` is stored. */
  hasRoot?(root: Uint8Array): Promise<boolean>
  /** Told after the caller has written a commit's ops (caches may then share those nodes). */
  written?(ops: readonly BatchOp[]): void
}

/** A genesis.json `alloc` entry. */
export interface GenesisAllocAccount {
  balance?: string
  nonce?: string
  code?: string
  storage?: Record<string, string>
}

/** Ancestor headers, for BLOCKHASH before EIP-2935 (`@ethwire/chain`'s `getHeader` fits). */
export interface HeaderSource {
  getHeader(hash: Uint8Array, number: bigint): Promise<BlockHeader | undefined>
}

/** Batch sender recovery (`@ethwire/crypto`'s `RecoveryPool` fits). */
export interface SenderRecoverer {
  recoverAddresses(
    batch: readonly { hash: Uint8Array; r: bigint; s: bigint; recovery: number }[],
    opts?: { signal?: AbortSignal },
  ): Promise<Array<Uint8Array | null>>
}

/** Synchronous single recovery (`@ethwire/crypto`'s `recoverAddress` fits); used for EIP-7702 authorities. */
export type AddressRecoverFn = (
  hash: Uint8Array,
  r: bigint,
  s: bigint,
  recovery: number,
) => Uint8Array

/** EIP-4844 point evaluation (the KZG library EthereumJS's EVM takes as `customCrypto.kzg`). */
export interface Kzg {
  verifyProof(commitment: string, z: string, y: string, proof: string): boolean
  [k: string]: unknown
}

/** Where execution time went (milliseconds, accumulated over the executor's life). */
export interface ExecutionTimings {
  /** Sender recovery (worker pool or native addon). */
  senderRecoveryMs: number
  /** Transactions and system calls in the EVM, state reads included. */
  evmMs: number
  /** State root computation (trie hashing) and the final commit. */
  stateRootMs: number
  /** Receipts root, bloom, requests and the comparison work. */
  receiptsMs: number
  blocks: number
  transactions: number
  gas: bigint
}

/** Result of running one block (SEAMS.md `BlockExecution`). */
export interface BlockExecution {
  stateRoot: Uint8Array
  receipts: ReceiptData[]
  /** Root of the receipts trie (what the header's `receiptRoot` must be). */
  receiptsRoot: Uint8Array
  gasUsed: bigint
  logsBloom: Uint8Array
  blobGasUsed?: bigint
  /** EIP-7685 requests, each `type ‖ data`, only the non-empty ones (Prague). */
  requests?: Uint8Array[]
  requestsHash?: Uint8Array
  /** State trie nodes and code to write in the block's batch. */
  ops: BatchOp[]
  /** Senders of the block's transactions, in order. */
  senders: Uint8Array[]
}

export interface ExecuteBlockInput {
  block: Block
  parent: BlockHeader
  /** Senders recovered beforehand (one per transaction); recovered here when absent. */
  senders?: Uint8Array[]
  /** Ancestor headers for BLOCKHASH when they are not stored yet (a batch being inserted). */
  headers?: HeaderSource
  signal?: AbortSignal
}

/** A field of a header that the execution result did not reproduce. */
export type MismatchField =
  | 'stateRoot'
  | 'receiptRoot'
  | 'gasUsed'
  | 'bloom'
  | 'requestsHash'
  | 'blobGasUsed'

/** A candidate transaction with its sender, for {@link TxSource}. */
export interface PendingTx {
  tx: Transaction
  sender: Uint8Array
}

/**
 * The ordered transactions the builder pulls from (go-ethereum's `TransactionsByPriceAndNonce`):
 * `peek()` is the best remaining one; `shift()` moves on to that sender's next transaction; `pop()`
 * drops the sender altogether (its next nonces cannot run either).
 */
export interface TxSource {
  peek(): PendingTx | undefined
  shift(): void
  pop(): void
}

export interface BuildBlockInput {
  parent: BlockHeader
  /** Header fields of the new block; the rest (roots, gas used, bloom, …) are filled. */
  header: {
    coinbase: Uint8Array
    time: bigint
    gasLimit: bigint
    extra?: Uint8Array
    mixDigest?: Uint8Array
    difficulty?: bigint
    nonce?: Uint8Array
    baseFee?: bigint
    excessBlobGas?: bigint
    parentBeaconRoot?: Uint8Array
    /**
     * Who is paid the fees and what COINBASE returns, when it is not the header's coinbase and the
     * header is not sealed yet (clique: the signer's address).
     */
    beneficiary?: Uint8Array
  }
  transactions: TxSource | PendingTx[]
  withdrawals?: Withdrawal[]
  signal?: AbortSignal
}

export interface BuiltBlock {
  block: Block
  execution: BlockExecution
  /** Transactions skipped because they failed, with the reason. */
  skipped: { tx: Transaction; reason: string }[]
}
