import { isCodedError } from '@ethwire/interface/runtime'

/**
 * Every failure a peer's bytes can cause in rlp-wire is a {@link WireError} with a stable code.
 * Callers switch on `err.code`, never on the message text.
 */
export type WireErrorCode =
  /** Malformed RLP: truncated input, bad length prefix. */
  | 'ErrDecode'
  /** Valid RLP but not the canonical encoding (leading zeros, wrapped single byte, long prefix for short data). */
  | 'ErrNonCanonical'
  /** Bytes left over after the top-level item. */
  | 'ErrTrailingBytes'
  /** A list with the wrong number of elements for its type. */
  | 'ErrArity'
  /** A list where a string was expected, or a string where a list was expected. */
  | 'ErrKind'
  /** An integer wider than its field (e.g. a uint64 of 9 bytes) or a fixed-size field of the wrong size. */
  | 'ErrFieldSize'
  /** A semantically invalid value (unknown tx type, bad signature value, ...). */
  | 'ErrInvalidValue'
  /** A message over the protocol cap (10 MiB) or over a transport limit. */
  | 'ErrMsgTooLarge'
  /** A message code the negotiated version does not have. */
  | 'ErrUnknownCode'
  /** The connection is closed (see `reason`). */
  | 'ErrClosed'

export class WireError extends Error {
  override readonly name = 'WireError'
  readonly code: WireErrorCode
  /** For 'ErrClosed': the disconnect reason, and whether the remote side sent it. */
  readonly reason?: number
  readonly remote?: boolean

  constructor(
    code: WireErrorCode,
    message: string,
    opts: { cause?: unknown; reason?: number; remote?: boolean } = {},
  ) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    if (opts.reason !== undefined) this.reason = opts.reason
    if (opts.remote !== undefined) this.remote = opts.remote
  }
}

/**
 * Whether `err` is a {@link WireError} (with `code`, when given). Checks the `name` brand and the
 * string `code`, not `instanceof`: a second copy of this package (its ESM and CJS builds in one
 * process) makes errors `instanceof` cannot see.
 */
export function isWireError(err: unknown, code?: WireErrorCode): err is WireError {
  return isCodedError<WireError>(err, 'WireError', code)
}
