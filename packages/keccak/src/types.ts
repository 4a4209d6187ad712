/** A running Keccak-256: feed bytes, read the digest of everything so far, copy the state. */
export interface Keccak256Hasher {
  /** Absorbs `data`. Returns the hasher, so calls chain. */
  update(data: Uint8Array): this
  /**
   * The 32-byte digest of everything absorbed so far. The state goes on unchanged: more
   * `update()` calls may follow, and `digest()` may be read again (RLPx MACs do both).
   */
  digest(): Uint8Array
  /** An independent hasher with the same running state. */
  clone(): Keccak256Hasher
}

/** Which implementation does the hashing. */
export type KeccakBackendName = 'wasm' | 'noble'

/** One Keccak-256 implementation; every backend gives the same bytes for the same input. */
export interface Keccak {
  readonly backend: KeccakBackendName
  /** keccak256(data): 32 bytes. */
  keccak256(data: Uint8Array): Uint8Array
  /**
   * keccak256 of each span, in order; on WebAssembly up to 256 spans go in one call, and the
   * digests are 32-byte views into one buffer of 32 × spans.length bytes.
   */
  keccak256Many(spans: readonly Uint8Array[]): Uint8Array[]
  /** A new incremental hasher. */
  createKeccak256(): Keccak256Hasher
}

export interface KeccakOptions {
  /**
   * 'auto' (default): WebAssembly where it compiles, otherwise noble. 'wasm': WebAssembly or
   * throw. 'noble': pure JavaScript (`@noble/hashes`), never WebAssembly.
   */
  readonly backend?: 'auto' | KeccakBackendName
  /** Module bytes to compile instead of the committed ones (tests feed broken bytes here). */
  readonly wasmBytes?: Uint8Array
}
