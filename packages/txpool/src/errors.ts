/** Every reason the pool rejects a transaction is a {@link TxPoolError} with a stable code. */
export type TxPoolErrorCode =
  /** The raw bytes are not a transaction rlp-wire can decode. */
  | 'ErrDecode'
  /** Encoded size above the limit (128 KiB). */
  | 'ErrOversized'
  /** The transaction type is not accepted by this pool's options. */
  | 'ErrTxTypeNotSupported'
  /** Signature values out of range, high s (EIP-2) or a bad v. */
  | 'ErrInvalidSignature'
  /** No sender recovers from the signature. */
  | 'ErrInvalidSender'
  /** Chain id of the transaction differs from the pool's (or a legacy tx without EIP-155 when those are refused). */
  | 'ErrInvalidChainId'
  /** Gas limit below the intrinsic gas (base, data, access list, authorizations, init code words, EIP-7623 floor). */
  | 'ErrIntrinsicGas'
  /** Gas limit above the block gas limit. */
  | 'ErrGasLimit'
  /** Contract creation with init code over 49152 bytes (EIP-3860). */
  | 'ErrInitCodeSize'
  /** maxPriorityFeePerGas above maxFeePerGas. */
  | 'ErrTipAboveFeeCap'
  /** Gas price or priority fee below the pool's minimum. */
  | 'ErrUnderpriced'
  /** Type-4 transaction with an empty authorization list, or a type-3 transaction without blobs. */
  | 'ErrInvalidTxFields'
  /** Nonce at 2^64-1 (EIP-2681). */
  | 'ErrNonceMax'
  /** Nonce below the account's nonce. */
  | 'ErrNonceTooLow'
  /** Balance below value + gas × fee cap of this and the sender's earlier pooled transactions. */
  | 'ErrInsufficientFunds'
  /** The pool already holds this transaction. */
  | 'ErrAlreadyKnown'
  /** Same sender and nonce as a pooled transaction, without the required fee bump. */
  | 'ErrReplaceUnderpriced'
  /** The sender already has the maximum number of pooled transactions. */
  | 'ErrAccountLimit'
  /** The pool is full and the transaction is not more expensive than the cheapest one in it. */
  | 'ErrTxPoolOverflow'
  /** The pool was stopped. */
  | 'ErrPoolStopped'

export class TxPoolError extends Error {
  override readonly name = 'TxPoolError'
  readonly code: TxPoolErrorCode

  constructor(code: TxPoolErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }
}

export function isTxPoolError(err: unknown, code?: TxPoolErrorCode): err is TxPoolError {
  return err instanceof TxPoolError && (code === undefined || err.code === code)
}
