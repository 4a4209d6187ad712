/**
 * @ethwire/executor — runs Ethereum blocks over EthereumJS's EVM (`@ethereumjs/evm`) against a
 * world state (`@ethwire/state`, or anything with the same methods): every fork from Frontier to
 * Osaka and the blob-parameter forks as a go-ethereum genesis.json `config` says, receipts, gas,
 * bloom, state root, EIP-7685 requests and the state write ops; and a block builder for the miner.
 *
 * @example
 * ```ts
 * import { createExecutor, compareWithHeader } from '@ethwire/executor'
 * const executor = await createExecutor({ state: stateDb, headers: chain }, { config: genesis.config })
 * const result = await executor.executeBlock({ block, parent })
 * const bad = compareWithHeader(block.header, result) // undefined, or the field that differs
 * ```
 */
export { type Acc, EMPTY_CODE_HASH, StateAdapter } from './adapter.js'
export {
  type AccountOverride,
  type BlockOverrides,
  type CallEngine,
  type CallInput,
  type CallResult,
  createCallEngine,
  revertError,
  revertReason,
} from './call.js'
export {
  type BlobParams,
  createCommon,
  type ExecutionConfig,
  type Rules,
  rulesAt,
} from './config.js'
export * as constants from './constants.js'
export { ExecutorError, type ExecutorErrorCode, isExecutorError } from './errors.js'
export {
  compareWithHeader,
  createExecutor,
  type Executor,
  type ExecutorDeps,
  type ExecutorOptions,
} from './executor.js'
export { blobBaseFee, fakeExponential } from './fees.js'
export { limitHeapGrowth } from './heap.js'
export { effectiveGasPrice, intrinsicGas } from './transition.js'
export type * from './types.js'
