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
/** Header field counts: 15 (pre-London) up to 21 (Prague). */
export const minHeaderFields = 15
export const maxHeaderFields = 21
