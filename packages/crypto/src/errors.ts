import { isCodedError } from '@ethwire/interface/runtime'

/** Every crypto failure an input can cause is a {@link CryptoError} with a stable code. */
export type CryptoErrorCode =
  /** The message hash is not 32 bytes. */
  | 'ErrInvalidHash'
  /** r or s is outside [1, n-1] (or s is in the upper half when homestead rules apply). */
  | 'ErrInvalidSignature'
  /** The recovery id is not 0..3. */
  | 'ErrInvalidRecovery'
  /** The signature values are in range but no public key recovers from them. */
  | 'ErrRecoveryFailed'
  /** A private key that is not 32 bytes in [1, n-1]. */
  | 'ErrInvalidPrivateKey'
  /** A public key that is not a 65-byte uncompressed point (or 64 bytes without the prefix). */
  | 'ErrInvalidPublicKey'
  /** The worker pool was closed, or a worker died. */
  | 'ErrPoolClosed'

export class CryptoError extends Error {
  override readonly name = 'CryptoError'
  readonly code: CryptoErrorCode

  constructor(code: CryptoErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }
}

/**
 * Whether `err` is a {@link CryptoError} (with `code`, when given), by its `name` brand and string
 * `code`, not `instanceof` (a second copy of the package makes errors `instanceof` misses).
 */
export function isCryptoError(err: unknown, code?: CryptoErrorCode): err is CryptoError {
  return isCodedError<CryptoError>(err, 'CryptoError', code)
}
