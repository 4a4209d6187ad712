import { keccak_256 } from '@noble/hashes/sha3.js'
import type { Keccak, Keccak256Hasher } from './types.js'

type NobleHash = ReturnType<typeof keccak_256.create>

class NobleHasher implements Keccak256Hasher {
  constructor(private readonly h: NobleHash = keccak_256.create()) {}
  update(data: Uint8Array): this {
    this.h.update(data)
    return this
  }
  digest(): Uint8Array {
    return this.h.clone().digest()
  }
  clone(): Keccak256Hasher {
    return new NobleHasher(this.h.clone())
  }
}

/** The pure JavaScript backend: `@noble/hashes`, for runtimes where WebAssembly cannot load. */
export const nobleKeccak: Keccak = {
  backend: 'noble',
  keccak256: (data) => keccak_256(data),
  keccak256Many: (spans) => spans.map((s) => keccak_256(s)),
  createKeccak256: () => new NobleHasher(),
}
