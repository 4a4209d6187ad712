/**
 * Interfaces @ethwire/chain consumes. The secp256k1 functions match `@ethwire/crypto`
 * (structural typing), so `import * as crypto from '@ethwire/crypto'` satisfies `CliqueCrypto`.
 */
import type { BlockHeader } from '@ethwire/rlp-wire'

/** Public-key recovery of an address (clique signers). */
export interface AddressRecoverer {
  recoverAddress(hash: Uint8Array, r: bigint, s: bigint, recovery: number): Uint8Array
}

/** Signing (the dev sealer). */
export interface HashSigner {
  sign(hash: Uint8Array, privateKey: Uint8Array): { r: bigint; s: bigint; recovery: number }
  privateKeyToAddress(privateKey: Uint8Array): Uint8Array
}

export type CliqueCrypto = AddressRecoverer & Partial<HashSigner>

/** What an engine may read from the chain while verifying (includes blocks of the batch being inserted). */
export interface HeaderReader {
  getHeader(hash: Uint8Array, number: bigint): Promise<BlockHeader | undefined>
  readonly config: import('./config.js').ChainConfig
}

/** A state write the executor hands back; the chain puts it in the block's batch. */
export interface StateWriteOp {
  type: 'put'
  key: Uint8Array
  value: Uint8Array
}

/** What executing a block produced (`@ethwire/executor`'s `BlockExecution` fits). */
export interface BlockExecutionResult {
  stateRoot: Uint8Array
  receipts: import('@ethwire/rlp-wire').ReceiptData[]
  gasUsed: bigint
  logsBloom: Uint8Array
  /** Receipts trie root; computed by the chain when absent. */
  receiptsRoot?: Uint8Array
  blobGasUsed?: bigint
  requestsHash?: Uint8Array
  /** State trie nodes and code, written in the block's batch. */
  ops: StateWriteOp[]
}

/**
 * The block executor the chain calls for every block it makes canonical (`@ethwire/executor`'s
 * `createExecutor` fits). Errors with a string `code` starting `ErrInvalid` mean the block is bad.
 */
export interface Executor {
  executeBlock(input: {
    block: import('@ethwire/rlp-wire').Block
    parent: BlockHeader
    senders?: Uint8Array[]
    /** Headers not stored yet (the batch being inserted), for BLOCKHASH. */
    headers?: Pick<HeaderReader, 'getHeader'>
    signal?: AbortSignal
  }): Promise<BlockExecutionResult>
  /** Senders of many blocks in one go (optional; the executor recovers per block otherwise). */
  recoverSenders?(
    blocks: readonly import('@ethwire/rlp-wire').Block[],
    signal?: AbortSignal,
  ): Promise<Uint8Array[][]>
  /** The genesis alloc's state root and the ops that store it (written with block 0). */
  genesisState(
    alloc: Record<
      string,
      { balance?: string; nonce?: string; code?: string; storage?: Record<string, string> }
    >,
  ): Promise<{ root: Uint8Array; ops: StateWriteOp[] }>
  /** Whether the state at `root` is stored. */
  hasState(root: Uint8Array): Promise<boolean>
  /** Called after a batch holding state ops was written. */
  written(ops: readonly StateWriteOp[]): void
}
