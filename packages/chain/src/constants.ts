/** Defaults and limits of @ethwire/chain. */

/** Largest extra-data of a non-clique header (bytes). */
export const maxExtraDataBytes = 32
/** Smallest gas limit a header may carry. */
export const minGasLimit = 5000n
/** A child's gas limit may move by less than parent / this. */
export const gasLimitBoundDivisor = 1024n
/** EIP-1559 initial base fee (wei) at the London block. */
export const initialBaseFeeWei = 1_000_000_000n
/** EIP-1559 base fee change denominator. */
export const baseFeeChangeDenominator = 8n
/** EIP-1559 elasticity multiplier. */
export const elasticityMultiplier = 2n
/** EIP-4844 gas per blob. */
export const gasPerBlob = 131072n
/** Default go-ethereum genesis gas limit when genesis.json gives none. */
export const defaultGenesisGasLimit = 4_712_388n
/** Clique: bytes of vanity at the start of extra-data. */
export const cliqueVanityBytes = 32
/** Clique: bytes of the seal at the end of extra-data. */
export const cliqueSealBytes = 65
/** Clique: default epoch length (blocks). */
export const cliqueDefaultEpoch = 30000n
/** Clique: in-turn difficulty. */
export const cliqueDiffInTurn = 2n
/** Clique: out-of-turn difficulty. */
export const cliqueDiffNoTurn = 1n
/** Blocks written per LevelDB batch by `importChainFile`. */
export const importBatchBlocks = 256
/** Default dev sealer period (seconds) when the clique period is 0. */
export const devPeriodSecondsDefault = 1
/** Clique: headers whose signer set is cached (saves walking back to the checkpoint). */
export const cliqueSnapshotCacheEntries = 8192
/** Blocks kept in the bad-block list (go-ethereum's `badBlockLimit`). */
export const badBlockLimit = 10
/** With an executor: blocks whose senders are recovered in one call, one chunk ahead of execution. */
export const senderChunkBlocks = 32
/** With an executor: consecutive canonical blocks written in one batch at most. */
export const executedBatchBlocks = 64
/**
 * With an executor: a batch is written once its ops hold this many bytes (keys + values), even
 * before `executedBatchBlocks`. LevelDB copies a batch into its write batch and then its memtable
 * (malloc'd, and rarely given back to the system), so big blocks are written a few at a time.
 */
export const executedBatchBytes = 4 << 20
/** With an executor: batches written behind execution before the writer is waited for. */
export const executedDrainGroups = 4
/**
 * Layout version of the chain database this build writes and reads. 1: receipts in go-ethereum's
 * storage encoding, tx lookups, state trie nodes and code (databases written before versioning
 * count as 0 and are migrated on open).
 */
export const databaseVersion = 1
/** Bloom-bits index: blocks per section (go-ethereum's `BloomBitsBlocks`). */
export const bloomSectionBlocks = 4096
/** Bloom-bits index: a section is built once its last block is this far below the head. */
export const bloomConfirmBlocks = 256
/** `getLogs`: most logs one query returns (then `ErrLogsLimit`). */
export const logsMaxResults = 10_000
/** `getLogs`: most blocks one range query may span (then `ErrLogsRange`). */
export const logsMaxBlockRange = 1_000_000n
/**
 * Canonical headers kept in memory by number (`Chain`'s read cache): what peers asking for the same
 * ranges again are served from. About 1 KiB each with the encoding: ~4 MiB.
 */
export const canonicalHeaderCacheEntries = 4096
