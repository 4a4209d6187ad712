/**
 * Interfaces @ethwire/chain consumes. The secp256k1 functions match `@ethwire/crypto`
 * (structural typing), so `import * as crypto from '@ethwire/crypto'` satisfies `CliqueCrypto`.
 */
import type { BlockHeader } from '@ethwire/rlp-wire'

/** Public-key recovery of an address (clique signers). */
export interface AddressRecoverer {
  recoverAddress(hash: Uint8Array, r: bigint, s: bigint, recovery: number): Uint8Array
}

/** Signing (the dev sealer). */
export interface HashSigner {
  sign(hash: Uint8Array, privateKey: Uint8Array): { r: bigint; s: bigint; recovery: number }
  privateKeyToAddress(privateKey: Uint8Array): Uint8Array
}

export type CliqueCrypto = AddressRecoverer & Partial<HashSigner>

/** What an engine may read from the chain while verifying (includes blocks of the batch being inserted). */
export interface HeaderReader {
  getHeader(hash: Uint8Array, number: bigint): Promise<BlockHeader | undefined>
  readonly config: import('./config.js').ChainConfig
}
