import { nobleKeccak } from './noble.js'
import type { Keccak, Keccak256Hasher, KeccakBackendName, KeccakOptions } from './types.js'
import { createWasmKeccak } from './wasm.js'

/**
 * A Keccak-256 implementation of its own (its own module instance on WebAssembly). Synchronous.
 * `{ backend: 'auto' }` falls back to noble when WebAssembly is missing or refuses the module
 * (no `WebAssembly` global, a Content-Security-Policy without 'wasm-unsafe-eval', …).
 */
export function createKeccak(opts: KeccakOptions = {}): Keccak {
  const kind = opts.backend ?? 'auto'
  if (kind === 'noble') return nobleKeccak
  if (kind === 'wasm') return createWasmKeccak(opts.wasmBytes)
  try {
    const k = createWasmKeccak(opts.wasmBytes)
    // A module that compiles but hashes wrong must never be used: check one known answer.
    const probe = k.keccak256(new Uint8Array(0))
    if (probe[0] !== 0xc5 || probe[31] !== 0x70) return nobleKeccak
    return k
  } catch {
    return nobleKeccak
  }
}

// The process-wide default, chosen on first use (synchronously, so decoders stay synchronous).
let active: Keccak | undefined
const current = (): Keccak => (active ??= createKeccak())

/** keccak256(data), 32 bytes: the Ethereum hash. */
export function keccak256(data: Uint8Array): Uint8Array {
  return (active ?? current()).keccak256(data)
}

/** keccak256 of every span, in order (one call into WebAssembly per up to 256 spans). */
export function keccak256Many(spans: readonly Uint8Array[]): Uint8Array[] {
  return (active ?? current()).keccak256Many(spans)
}

/** A new incremental Keccak-256 whose running state can be read (`digest`) and copied (`clone`). */
export function createKeccak256(): Keccak256Hasher {
  return (active ?? current()).createKeccak256()
}

/** Which backend the default functions use: 'wasm', or 'noble' where WebAssembly could not load. */
export function keccakBackend(): KeccakBackendName {
  return current().backend
}
