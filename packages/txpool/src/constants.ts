/** Largest accepted transaction (binary form, without a blob sidecar): 128 KiB. */
export const maxTxSizeBytes = 128 * 1024
/** Largest init code of a contract creation (EIP-3860). */
export const maxInitCodeSizeBytes = 49_152
/** A replacement must raise fee cap and tip by this percentage. */
export const defaultPriceBumpPercent = 10
/** Minimum gas price (legacy) or priority fee (typed), in wei. */
export const defaultMinGasPriceWei = 1n
/** Most transactions in the pool (pending and queued). */
export const defaultGlobalSlots = 6144
/** Most transactions per sender (pending and queued); locals are exempt. */
export const defaultAccountSlots = 80
/** Block gas limit assumed when none is given. */
export const defaultBlockGasLimit = 36_000_000n
/** The journal is rewritten when it holds more than this many entries beyond the live locals. */
export const journalRotateSlackEntries = 1024

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
