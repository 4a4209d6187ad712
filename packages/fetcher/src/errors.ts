import { isCodedError } from '@ethwire/interface/runtime'

/** Codes of the errors a peer can cause in the fetchers. */
export type FetcherErrorCode =
  | 'ErrInvalidHeader'
  | 'ErrHeaderNumberMismatch'
  | 'ErrInvalidBody'
  /** A PooledTransactions answer carried a transaction that was not asked for. */
  | 'ErrUnrequestedTx'
  /** The same transaction twice in one Transactions / PooledTransactions message. */
  | 'ErrDuplicateTx'
  /** A blob transaction in a Transactions broadcast (they are only sent on request). */
  | 'ErrBroadcastBlobTx'
  /** A delivered transaction's type differs from the peer's eth/68 announcement of it. */
  | 'ErrTxTypeMismatch'
  /** A delivered transaction's size differs from the peer's eth/68 announcement of it. */
  | 'ErrTxSizeMismatch'
  /** The pool refused a delivered transaction as malformed (e.g. a blob sidecar that does not match); `cause` is the pool's error. */
  | 'ErrInvalidTx'

/** An error a peer caused; handed to `dropPeer` / `penalize` with a stable `code`. */
export class FetcherError extends Error {
  override readonly name = 'FetcherError'
  readonly code: FetcherErrorCode
  readonly peerId: string

  constructor(
    code: FetcherErrorCode,
    peerId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options)
    this.code = code
    this.peerId = peerId
  }
}

/**
 * Whether `e` is a {@link FetcherError} (with `code`, when given), by its `name` brand and string
 * `code`, not `instanceof` (a second copy of the package makes errors `instanceof` cannot see).
 */
export function isFetcherError(e: unknown, code?: FetcherErrorCode): e is FetcherError {
  return isCodedError<FetcherError>(e, 'FetcherError', code)
}
