/** Largest accepted transaction (binary form, without a blob sidecar): 128 KiB. */
export const maxTxSizeBytes = 128 * 1024
/** Largest init code of a contract creation (EIP-3860). */
export const maxInitCodeSizeBytes = 49_152
/** A replacement must raise fee cap and tip by this percentage. */
export const defaultPriceBumpPercent = 10
/** Minimum gas price (legacy) or priority fee (typed), in wei. */
export const defaultMinGasPriceWei = 1n
/**
 * Executable (pending) transactions the pool keeps over all accounts before it evicts from the
 * accounts above `accountSlots` (go-ethereum's `GlobalSlots`, 4096 + 1024).
 */
export const defaultGlobalSlots = 5120
/** Non-executable (queued) transactions over all accounts (go-ethereum's `GlobalQueue`). */
export const defaultGlobalQueue = 1024
/**
 * Pending transactions an account is guaranteed (go-ethereum's `AccountSlots`). It may hold more
 * while the pool has room; above `globalSlots` the accounts over their share are cut first.
 */
export const defaultAccountSlots = 16
/** Queued transactions per account (go-ethereum's `AccountQueue`); locals are exempt. */
export const defaultAccountQueue = 64
/**
 * One slot is this many bytes of a transaction's network form (with its blob sidecar), as
 * go-ethereum's `txSlotSize`: the global limits count slots, so blob transactions weigh in.
 */
export const txSlotSizeBytes = 32 * 1024
/** Block gas limit assumed when none is given and no chain is attached. */
export const defaultBlockGasLimit = 36_000_000n
/** The journal is rewritten when it holds more than this many entries beyond the live locals. */
export const journalRotateSlackEntries = 1024
/** Reorgs deeper than this many blocks are not walked on reset (go-ethereum: 64). */
export const maxReorgDepthBlocks = 64n
/** Sidecars of blob transactions that left the pool in a block, kept for a reorg that brings them back. */
export const limboMaxBytes = 32 * 1024 * 1024

// Intrinsic gas (Prague rules).
export const txGas = 21_000n
export const txGasContractCreation = 53_000n
export const txDataZeroGas = 4n
export const txDataNonZeroGas = 16n
export const txAccessListAddressGas = 2400n
export const txAccessListStorageKeyGas = 1900n
export const initCodeWordGas = 2n
export const perEmptyAccountCostGas = 25_000n
/** EIP-7623 floor: gas per calldata token. */
export const totalCostFloorPerTokenGas = 10n
/** EIP-4844 gas per blob. */
export const gasPerBlob = 131_072n
/** EIP-7825 (Osaka): most gas a transaction may ask for. */
export const maxTxGas = 1n << 24n
/** EIP-4844: a blob fee cap below this is refused (go-ethereum's `BlobTxMinBlobGasprice`). */
export const minBlobGasPriceWei = 1n
/** Blobs a transaction may carry from Osaka (EIP-7594 `MAX_BLOBS_PER_TX`). */
export const maxBlobsPerTxOsaka = 6
/** Blobs per block before Osaka: Cancun 6, Prague 9 (a transaction may fill a block). */
export const maxBlobsPerBlockCancun = 6
export const maxBlobsPerBlockPrague = 9
/** EIP-7594 cell proofs per blob (sidecar version 1). */
export const cellProofsPerBlob = 128
/** EIP-4844 versioned hash version byte. */
export const blobCommitmentVersionKzg = 0x01
/** EIP-1559 base fee change denominator and elasticity multiplier. */
export const baseFeeChangeDenominator = 8n
export const elasticityMultiplier = 2n
