/** Keccak-256 absorbs this many bytes per permutation (1600-bit state, 512-bit capacity). */
export const keccak256RateBytes = 136
/** Length of a Keccak-256 digest. */
export const keccak256DigestBytes = 32
/** Bytes of the Keccak-f[1600] state (25 lanes of 8 bytes): what a hasher copies. */
export const keccakStateBytes = 200

/**
 * Bytes at the start of the WebAssembly module's one 64 KiB page that belong to the module (state
 * at 0, round constants, the padding block); a caller driving the module itself (see README,
 * "The module") may use the rest.
 */
export const wasmReservedBytes = 528

// Where this package's own glue puts things in the rest of the page.
/** Where one-shot and incremental digests are written. */
export const wasmOutOffsetBytes = 1024
/** Most spans hashed in one call into the module (`keccak256Many` splits longer lists). */
export const wasmBatchMaxSpans = 256
/** Where `batch` reads the u32 span lengths; the batch digests go at `wasmOutOffsetBytes`. */
export const wasmLensOffsetBytes = wasmOutOffsetBytes + 32 * wasmBatchMaxSpans
/** Start of the input area. */
export const wasmInOffsetBytes = wasmLensOffsetBytes + 4 * wasmBatchMaxSpans
/** Input bytes the module takes per call: whole blocks that fit between the input start and 64 KiB. */
export const wasmChunkBytes = Math.floor((65536 - wasmInOffsetBytes) / 136) * 136
