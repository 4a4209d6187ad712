/**
 * @ethwire/crypto — secp256k1 public-key recovery and signing for Ethereum transactions,
 * handshakes and discovery: the libsecp256k1 N-API addon where it loads, `@noble/curves`
 * everywhere else (browsers included), and a worker-thread pool for batches of recoveries.
 *
 * @example
 * ```ts
 * import { keccak256, privateKeyToAddress, randomPrivateKey, recoverAddress, sign } from '@ethwire/crypto'
 * const key = randomPrivateKey()
 * const hash = keccak256(new TextEncoder().encode('hello'))
 * const { r, s, recovery } = sign(hash, key)
 * recoverAddress(hash, r, s, recovery) // equals privateKeyToAddress(key)
 * ```
 */
export {
  addressLengthBytes,
  defaultPoolWorkers,
  hashLengthBytes,
  poolChunkItems,
  poolCloseGraceMs,
  publicKeyLengthBytes,
  secp256k1HalfN,
  secp256k1N,
} from './constants.js'
export { CryptoError, type CryptoErrorCode, isCryptoError } from './errors.js'
export {
  createRecoveryPool,
  type RecoveryPool,
  type RecoveryPoolOptions,
  type RecoveryRequest,
} from './pool.js'
export {
  isValidSignatureValues,
  keccak256,
  loadNativeRecoverer,
  loadNativeSigner,
  loadRecoverer,
  loadSigner,
  nobleRecoverer,
  nobleSigner,
  privateKeyToAddress,
  privateKeyToPublicKey,
  publicKeyToAddress,
  type Recoverer,
  randomPrivateKey,
  recoverAddress,
  recoverPublicKey,
  type Signature,
  type Signer,
  sign,
  signRecoverable,
} from './recover.js'
