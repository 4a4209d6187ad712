/**
 * @ethwire/txpool — the transaction pool: stateless validation with sender recovery, pending
 * and queued per sender by nonce, replacement with a fee bump, global and per-sender limits
 * with eviction of the cheapest remote, and a disk journal for local transactions.
 *
 * @example
 * ```ts
 * import { createFileJournal, createTxPool } from '@ethwire/txpool'
 * const pool = createTxPool({ journal: createFileJournal('./data/transactions.rlp') }, { chainId: 1n })
 * await pool.start()
 * pool.onPending((txs) => console.log('pending', txs.map((t) => t.hashHex)))
 * await pool.addRaw(rawTxBytes, { local: true }) // throws TxPoolError with a code
 * pool.status() // { pending, queued }
 * ```
 */
export {
  defaultAccountSlots,
  defaultBlockGasLimit,
  defaultGlobalSlots,
  defaultMinGasPriceWei,
  defaultPriceBumpPercent,
  journalRotateSlackEntries,
  maxInitCodeSizeBytes,
  maxTxSizeBytes,
} from './constants.js'
export { isTxPoolError, TxPoolError, type TxPoolErrorCode } from './errors.js'
export { createFileJournal, createMemoryJournal } from './journal.js'
export {
  createTxPool,
  type PoolTransaction,
  type TxPool,
  type TxPoolContent,
  type TxPoolDeps,
  type TxPoolOptions,
  type TxPoolStatus,
} from './pool.js'
export type { BatchRecoverer, JournalStore, StateReader } from './types.js'
export { costOf, feeCapOf, intrinsicGas, tipOf } from './validate.js'
