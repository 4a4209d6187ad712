import { isCodedError } from '@ethwire/interface/runtime'

/** Errors of the libp2p transport itself (framing and closed-stream errors are rlp-wire's `WireError`). */
export type TransportErrorCode =
  /** The remote supports none of our eth versions (multistream-select found no common protocol). */
  | 'ErrNoCommonVersion'
  /** Dialling failed: unreachable address, timeout, handshake (noise) failure. */
  | 'ErrDial'
  /** The node key file exists but is unreadable or not a libp2p private key. */
  | 'ErrPeerKey'
  /** The transport is not started, or already stopped. */
  | 'ErrNotRunning'

export class TransportError extends Error {
  override readonly name = 'TransportError'
  readonly code: TransportErrorCode

  constructor(code: TransportErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }
}

/**
 * Whether `err` is a {@link TransportError} (with `code`, when given), by its `name` brand and
 * string `code`, not `instanceof` (a second copy of the package makes errors `instanceof` misses).
 */
export function isTransportError(err: unknown, code?: TransportErrorCode): err is TransportError {
  return isCodedError<TransportError>(err, 'TransportError', code)
}
