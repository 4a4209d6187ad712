/**
 * @ethwire/txpool — the transaction pool: validation against the head state (go-ethereum's
 * rules and error texts), blob transactions checked as a whole (sidecar, versioned hashes, KZG
 * proofs), pending and queued per sender by nonce, replacement with a fee bump, go-ethereum's
 * slot limits, `reset` on every new head (reorgs included) and a disk journal for locals.
 *
 * @example
 * ```ts
 * import { createFileJournal, createTxPool } from '@ethwire/txpool'
 * const pool = createTxPool({ chain, journal: createFileJournal('./data/transactions.rlp') }, { chainId: 1n })
 * await pool.start() // reads the head and its state
 * chain.on((e) => e.type === 'head' && void pool.reset(e.header))
 * pool.onPending((txs) => console.log('pending', txs.map((t) => t.hashHex)))
 * await pool.addRaw(rawTxBytes, { local: true }) // throws TxPoolError with a code
 * pool.status() // { pending, queued }
 * ```
 */
export { blobVersionedHash, validateBlobSidecar, verifyBlobSidecar } from './blob.js'
export {
  defaultAccountQueue,
  defaultAccountSlots,
  defaultBlockGasLimit,
  defaultGlobalQueue,
  defaultGlobalSlots,
  defaultMinGasPriceWei,
  defaultPriceBumpPercent,
  journalRotateSlackEntries,
  maxInitCodeSizeBytes,
  maxReorgDepthBlocks,
  maxTxSizeBytes,
  txSlotSizeBytes,
} from './constants.js'
export { isTxPoolError, peerFaultCodes, TxPoolError, type TxPoolErrorCode } from './errors.js'
export { createFileJournal, createMemoryJournal } from './journal.js'
export { createKzgVerifier } from './kzg.js'
export { byPriceAndNonce, type OrderedTx, type PriceAndNonceSource } from './ordering.js'
export {
  createTxPool,
  decodeRawTransaction,
  type PoolTransaction,
  type RecoveredSender,
  type TxPool,
  type TxPoolContent,
  type TxPoolDeps,
  type TxPoolOptions,
  type TxPoolStatus,
} from './pool.js'
export type {
  BatchRecoverer,
  BlobVerifier,
  JournalStore,
  MaybePromise,
  PoolBlock,
  PoolChain,
  PoolHeader,
  StateReader,
} from './types.js'
export { costOf, effectiveTipOf, feeCapOf, intrinsicGas, nextBaseFee, tipOf } from './validate.js'
