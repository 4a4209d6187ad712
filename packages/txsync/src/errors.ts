import { isCodedError } from '@ethwire/interface/runtime'

/** Errors txsync reports (through `onPeerFailed`) with a stable code. */
export type TxSyncErrorCode =
  /** A pack was not delivered within `packTimeoutMs`. */
  | 'ErrPackTimeout'
  /** The peer's send rejected (see `cause`). */
  | 'ErrSendFailed'

export class TxSyncError extends Error {
  override readonly name = 'TxSyncError'
  readonly code: TxSyncErrorCode

  constructor(code: TxSyncErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }
}

/** Whether `err` is a {@link TxSyncError} (with `code`, when given), by its `name` brand, not `instanceof`. */
export function isTxSyncError(err: unknown, code?: TxSyncErrorCode): err is TxSyncError {
  return isCodedError<TxSyncError>(err, 'TxSyncError', code)
}
