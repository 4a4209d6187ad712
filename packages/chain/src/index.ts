/**
 * @ethwire/chain — a LevelDB chain database with go-ethereum's key layout, genesis from genesis.json,
 * block insertion with header and body checks, canonical choice (total difficulty, then extension
 * after the merge), reorg, `setHead`, consensus engines (clique, beacon, faker, fake PoW) and a dev
 * sealer. Transactions are not executed.
 *
 * @example
 * ```ts
 * import { openChain, importChainFile } from '@ethwire/chain'
 * import { readFileSync } from 'node:fs'
 * const chain = await openChain({ location: './data/chaindata' }, { genesis: readFileSync('genesis.json', 'utf8') })
 * await importChainFile(chain, 'chain.rlp', (p) => console.log(`head ${p.head}`))
 * console.log(chain.currentHeader().number)
 * await chain.close()
 * ```
 */
export {
  type BadBlock,
  Chain,
  type ChainDeps,
  type ChainEvent,
  type ChainOptions,
  type Db,
  type InsertReceiptOptions,
  type InsertResult,
  type OpenReport,
  openChain,
} from './chain.js'
export {
  blockForks,
  type ConfigIncompatibility,
  checkCompatible,
  timeForks,
} from './compat.js'
export {
  type BlobScheduleEntry,
  blobScheduleAt,
  type ChainConfig,
  isAmsterdam,
  isCancun,
  isLondon,
  isOsaka,
  isPrague,
  isShanghai,
  terminalTotalDifficulty,
} from './config.js'
export * as constants from './constants.js'
export { type DevGenesisOptions, devGenesis } from './dev.js'
export {
  type CliqueEngine,
  type CliqueOptions,
  cliqueCheckpointSigners,
  createBeacon,
  createClique,
  createFakePow,
  createFaker,
  type Engine,
  verifyBeaconFields,
} from './engines.js'
export { ChainError, type ChainErrorCode, isChainError } from './errors.js'
export {
  EMPTY_CODE_HASH,
  EMPTY_REQUESTS_HASH,
  type GenesisAccount,
  type GenesisJson,
  type GenesisState,
  genesisHeader,
  genesisState,
  genesisStateRoot,
  isHeaderOnlyGenesis,
  parseGenesis,
} from './genesis.js'
export { exportChain, type ImportProgress, importChainFile } from './io.js'
export {
  type BloomIndex,
  type BloomIndexDeps,
  type BloomIndexOptions,
  type BloomStore,
  bloomBitsOf,
  chainBloomStore,
  chainLogSource,
  createBloomIndex,
  type FoundLog,
  type LogChain,
  type LogFilter,
  type LogQueryOptions,
  type LogSource,
} from './logs.js'
export {
  type NetworkName,
  type NetworkPreset,
  networkByGenesisHash,
  networkPreset,
  networks,
} from './networks.js'
export { decodeStoredReceipts, encodeStoredReceipts, txTypesOfBodyRlp } from './receipts.js'
export { calcBaseFee, calcExcessBlobGas, verifyCommonHeader } from './rules.js'
export {
  buildEmptyBlock,
  createDevSealer,
  type DevSealer,
  type DevSealerDeps,
  type DevSealerOptions,
} from './sealer.js'
export type {
  AddressRecoverer,
  BlockExecutionResult,
  CliqueCrypto,
  Executor,
  HashSigner,
  HeaderReader,
  StateWriteOp,
} from './types.js'
