import { isCodedError } from '@ethwire/interface/runtime'

/**
 * Every reason the pool rejects a transaction is a {@link TxPoolError} with a stable code. The
 * message is go-ethereum's error text (core/error.go, core/txpool/errors.go,
 * core/txpool/legacypool) with its details, so JSON-RPC callers see what geth would say.
 */
export type TxPoolErrorCode =
  /** The raw bytes are not a transaction rlp-wire can decode. */
  | 'ErrDecode'
  /** "oversized data": encoded size above the limit (128 KiB without a blob sidecar). */
  | 'ErrOversized'
  /** "transaction type not supported": the type is not accepted by this pool's options. */
  | 'ErrTxTypeNotSupported'
  /** "invalid sender: invalid transaction v, r, s values": out of range, high s (EIP-2) or a bad v. */
  | 'ErrInvalidSignature'
  /** "invalid sender": no sender recovers from the signature. */
  | 'ErrInvalidSender'
  /** "invalid sender: invalid chain id for signer" (or a legacy tx without EIP-155 when refused). */
  | 'ErrInvalidChainId'
  /** "intrinsic gas too low": gas limit below base, data, access list, authorizations, init code words. */
  | 'ErrIntrinsicGas'
  /** "insufficient gas for floor data gas cost": gas limit below the EIP-7623 floor (Prague). */
  | 'ErrFloorDataGas'
  /** "exceeds block gas limit". */
  | 'ErrGasLimit'
  /** "transaction gas limit too high": above the EIP-7825 cap of 2^24 (Osaka). */
  | 'ErrGasLimitTooHigh'
  /** "max initcode size exceeded": creation with more than 49,152 bytes of init code (EIP-3860). */
  | 'ErrInitCodeSize'
  /** "max priority fee per gas higher than max fee per gas". */
  | 'ErrTipAboveFeeCap'
  /** "transaction gas price below minimum": tip (or legacy gas price, or blob fee cap) below the pool's minimum. */
  | 'ErrTxGasPriceTooLow'
  /** "transaction underpriced": the pool is full and the transaction is not dearer than its cheapest remote one. */
  | 'ErrUnderpriced'
  /** Type-4 without authorizations, type 3 without blobs, type 3/4 creating a contract (go-ethereum's texts). */
  | 'ErrInvalidTxFields'
  /** "nonce has max value" (EIP-2681). */
  | 'ErrNonceMax'
  /** "nonce too low": nonce below the account's nonce at the head. */
  | 'ErrNonceTooLow'
  /** "insufficient funds for gas * price + value": balance below the cost (with the sender's pending transactions). */
  | 'ErrInsufficientFunds'
  /** "sender not an eoa": the sender has code that is not an EIP-7702 delegation (EIP-3607). */
  | 'ErrSenderNoEOA'
  /** "already known". */
  | 'ErrAlreadyKnown'
  /** "replacement transaction underpriced": same sender and nonce without the fee bump. */
  | 'ErrReplaceUnderpriced'
  /** "account limit exceeded": the sender's queue (`accountQueue`) is full of lower nonces. */
  | 'ErrAccountLimit'
  /** "txpool is full": no remote transaction can make room. */
  | 'ErrTxPoolOverflow'
  /** "future transaction tries to replace pending": a gapped transaction would evict executable ones. */
  | 'ErrFutureReplacePending'
  /** "missing sidecar in blob transaction": a type-3 transaction without blobs, commitments and proofs. */
  | 'ErrBlobSidecarMissing'
  /** "Wrong sidecar format": counts of blobs, commitments, proofs and hashes disagree, or the wrong sidecar version for the fork. */
  | 'ErrBlobSidecarFormat'
  /** "blob N: computed hash … mismatches transaction one …": a versioned hash is not 0x01 ‖ sha256(commitment)[1:]. */
  | 'ErrBlobHashMismatch'
  /** "KZG verification error": a blob (or cell) proof does not verify. */
  | 'ErrKzgVerification'
  /** "transaction blob limit exceeded": more blobs than a transaction may carry. */
  | 'ErrBlobLimit'
  /** The pool was stopped. */
  | 'ErrPoolStopped'

/**
 * Codes that only a faulty or hostile peer produces: go-ethereum disconnects the peer that sent
 * such a transaction (`ErrKZGVerificationError`, `ErrSidecarFormatError`, and the handler's
 * sidecar checks). Marked with `peerFault: true` on the error.
 */
export const peerFaultCodes: ReadonlySet<TxPoolErrorCode> = new Set<TxPoolErrorCode>([
  'ErrBlobSidecarMissing',
  'ErrBlobSidecarFormat',
  'ErrBlobHashMismatch',
  'ErrKzgVerification',
])

export class TxPoolError extends Error {
  override readonly name = 'TxPoolError'
  readonly code: TxPoolErrorCode
  /**
   * True when the transaction is malformed in a way only a faulty or hostile peer sends: the
   * caller should drop the peer that delivered it (`@ethwire/fetcher` does, through `penalize`).
   */
  readonly peerFault: boolean

  /** `message` is go-ethereum's text for the error (see {@link TxPoolErrorCode}). */
  constructor(code: TxPoolErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.peerFault = peerFaultCodes.has(code)
  }
}

/**
 * Whether `err` is a {@link TxPoolError} (with `code`, when given), by its `name` brand and string
 * `code`, not `instanceof` (a second copy of the package makes errors `instanceof` misses).
 */
export function isTxPoolError(err: unknown, code?: TxPoolErrorCode): err is TxPoolError {
  return isCodedError<TxPoolError>(err, 'TxPoolError', code)
}
