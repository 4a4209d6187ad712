/**
 * @ethwire/state — the Ethereum state database: the account trie and every storage trie as
 * Merkle-Patricia tries whose nodes live in the caller's key-value store under their keccak hash
 * (go-ethereum's hash scheme), contract code under `'c' ++ codeHash`. It reads through a shared,
 * byte-budgeted node cache and never writes: a commit returns put ops for the caller's batch.
 *
 * @example
 * ```ts
 * import { Level } from 'level'
 * import { createStateDatabase, EMPTY_CODE_HASH, EMPTY_ROOT } from '@ethwire/state'
 * const address = new Uint8Array(20).fill(0xaa)
 * const level = new Level<Uint8Array, Uint8Array>('./state', { keyEncoding: 'view', valueEncoding: 'view' })
 * const state = createStateDatabase({ db: level }, { cacheBytes: 64 << 20 })
 * const world = state.open(EMPTY_ROOT)
 * world.setAccount(address, { nonce: 0n, balance: 10n ** 18n, storageRoot: EMPTY_ROOT, codeHash: EMPTY_CODE_HASH })
 * const { root, ops } = await world.commit()
 * await level.batch(ops) // with the block, receipts and head pointers
 * state.written(ops)
 * console.log(await state.getAccount(root, address))
 * ```
 */

export {
  decodeAccount,
  decodeStorageValue,
  EMPTY_CODE_HASH,
  EMPTY_ROOT,
  encodeAccount,
  encodeStorageValue,
} from './account.js'
export {
  cacheNodeOverheadBytes,
  codePrefixByte,
  defaultCacheBytes,
  defaultCodeCacheBytes,
  defaultSyncBatchItems,
  defaultSyncMaxInFlight,
  maxGetManyKeys,
} from './constants.js'
export { createStateDatabase } from './database.js'
export { isStateError, StateError, type StateErrorCode } from './errors.js'
export { applyAlloc, genesisCommit } from './genesis.js'
export { verifyAccountProof, verifyProof } from './proof.js'
export {
  createStateSync,
  type StateSync,
  type StateSyncComponents,
  type StateSyncDelivery,
} from './statesync.js'
export { codeKey } from './store.js'
export {
  createTrieSync,
  type DeliverResult,
  type TrieSync,
  type TrieSyncComponents,
  type TrieSyncOptions,
  type TrieSyncProgress,
  type TrieSyncRequest,
} from './sync.js'
export type {
  Account,
  AccountProof,
  BatchOp,
  GenesisAllocAccount,
  GetNodeDataOptions,
  Hasher,
  KeyValueReader,
  PutOp,
  StateCommit,
  StateDatabase,
  StateDatabaseComponents,
  StateDatabaseOptions,
  StateStats,
  StorageProof,
  WorldState,
} from './types.js'
