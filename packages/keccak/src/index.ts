/**
 * @ethwire/keccak — Keccak-256 for the whole stack: a 1.8 KB WebAssembly module (hand-written
 * WAT, committed as bytes, compiled synchronously on first use in Node and in browsers) and
 * `@noble/hashes` wherever WebAssembly cannot load, with the same bytes out. One-shot, batch and
 * incremental hashers whose running state can be read and copied. No native parts, no install
 * step, no async initialisation.
 *
 * @example
 * ```ts
 * import { createKeccak256, keccak256, keccak256Many, keccakBackend } from '@ethwire/keccak'
 *
 * keccak256(new TextEncoder().encode('abc')) // 4e03657a…
 * keccak256Many([a, b, c]) // three digests, one call into WebAssembly
 * const mac = createKeccak256().update(secret)
 * const snapshot = mac.clone() // independent copy of the running state
 * mac.update(frame).digest() // digest without ending the state
 * keccakBackend() // 'wasm' (or 'noble' where WebAssembly is unavailable)
 * ```
 */
export {
  keccak256DigestBytes,
  keccak256RateBytes,
  keccakStateBytes,
  wasmBatchMaxSpans,
  wasmReservedBytes,
} from './constants.js'
export {
  createKeccak,
  createKeccak256,
  keccak256,
  keccak256Many,
  keccakBackend,
} from './keccak.js'
export type {
  Keccak,
  Keccak256Hasher,
  KeccakBackendName,
  KeccakOptions,
} from './types.js'
export { keccakWasmBytes } from './wasm.js'
export { keccakWasmSizeBytes } from './wasm-bytes.js'
