/** Codes of the errors a peer can cause in the fetchers. */
export type FetcherErrorCode =
  | 'ErrInvalidHeader'
  | 'ErrHeaderNumberMismatch'
  | 'ErrInvalidBody'
  | 'ErrUnrequestedTx'
  | 'ErrTxTypeMismatch'
  | 'ErrTxSizeMismatch'

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

export function isFetcherError(e: unknown): e is FetcherError {
  return e instanceof FetcherError
}
