import { isCodedError } from '@ethwire/interface/runtime'

/** Typed errors of @ethwire/executor (a bad block is a peer's fault: every error has a `code`). */
export type ExecutorErrorCode =
  /** A transaction cannot be included (nonce, funds, gas, fee caps, type not active, …). */
  | 'ErrInvalidTx'
  /** A transaction's signature does not recover a sender. */
  | 'ErrInvalidSignature'
  /** The block as a whole is invalid (gas over limit, blob gas, a failing system call, …). */
  | 'ErrInvalidBlock'
  /** Execution result differs from the header (`field` names which). */
  | 'ErrBadBlock'
  /** The parent's state is not available. */
  | 'ErrMissingState'
  /** A call (`eth_call`, `eth_estimateGas`) reverted; `details.data` holds the revert data. */
  | 'ErrExecutionReverted'

export class ExecutorError extends Error {
  override readonly name = 'ExecutorError'
  constructor(
    readonly code: ExecutorErrorCode,
    message: string,
    readonly details: {
      field?: string
      txIndex?: number
      blockNumber?: bigint
      /** The revert data of a reverted call. */
      data?: Uint8Array
    } = {},
  ) {
    super(`${code}: ${message}`)
  }
  get field(): string | undefined {
    return this.details.field
  }
}

/**
 * Whether `err` is an {@link ExecutorError} (with `code`, when given), by its `name` brand and string
 * `code`, not `instanceof` (a second copy of the package makes errors `instanceof` misses).
 */
export function isExecutorError(err: unknown, code?: ExecutorErrorCode): err is ExecutorError {
  return isCodedError<ExecutorError>(err, 'ExecutorError', code)
}
