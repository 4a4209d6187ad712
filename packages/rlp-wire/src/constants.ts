/** Limits and sizes rlp-wire enforces. */
export { maxMessageSizeBytes } from './codes.js'

/** RLP nesting deeper than this is rejected by the decoder (eth messages nest at most ~7 levels). */
export const maxRlpDepth = 64
/** EIP-4844 blob size in bytes. */
export const blobSizeBytes = 131072
/** EIP-7594 cell proofs per blob (sidecar version 1). */
export const cellProofsPerBlob = 128
/** Logs bloom size in bytes (2048 bits). */
export const bloomSizeBytes = 256
/**
 * Header field counts: 15 (pre-London) up to 21 (Prague), 23 with Amsterdam's block-access-list
 * hash (EIP-7928) and slot number (EIP-7843).
 */
export const minHeaderFields = 15
export const maxHeaderFields = 23
/** EIP-7594 cell size in bytes (eth/72 `Cells`). */
export const cellSizeBytes = 2048
/** eth/72 cell bitmap size in bytes (128 cell indices). */
export const cellMaskSizeBytes = 16
/** Gas per byte of log data (go-ethereum `params.LogDataGas`): bounds eth/70 partial receipts. */
export const logDataGas = 8n
/** The least gas a transaction uses before Amsterdam (EIP-7975's receipt-count bound). */
export const minTxGas = 21000n
