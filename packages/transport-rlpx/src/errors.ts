import { isCodedError } from '@ethwire/interface/runtime'
import { DisconnectReason } from './wire.js'

/**
 * Every failure a peer (or a bad URL / key file) can cause in this package is an {@link RlpxError}
 * with a stable `code`. Switch on `err.code`, never on the message text.
 */
export type RlpxErrorCode =
  /** ECIES decryption failed, a bad signature, a malformed auth/ack. */
  | 'ErrHandshake'
  /** The ECIES handshake plus Hello exchange did not finish in time. */
  | 'ErrHandshakeTimeout'
  /** A frame header or frame body MAC did not match: the stream is corrupt or forged. */
  | 'ErrBadMac'
  /** A frame larger than the limit (announced in the header, or asked for on write). */
  | 'ErrFrameTooLarge'
  /** A snappy payload whose announced decompressed length is over the cap, or invalid snappy data. */
  | 'ErrSnappy'
  /** A breach of the p2p base protocol: no Hello first, bad Hello, unknown message id, bad RLP. */
  | 'ErrProtocol'
  /** The peer shares no capability we need. */
  | 'ErrUselessPeer'
  /** The node id in Hello is not the one we dialed, or is ours. */
  | 'ErrIdentity'
  /** The peer sent Disconnect (or closed the socket) before the handshake finished. */
  | 'ErrDisconnected'
  /** We already have `maxPeers` connections. */
  | 'ErrTooManyPeers'
  /** We already have a connection to this node. */
  | 'ErrAlreadyConnected'
  /** A malformed `enode://` URL. */
  | 'ErrInvalidEnode'
  /** A node key file that does not hold a valid secp256k1 secret key. */
  | 'ErrInvalidNodeKey'
  /** A TCP-level failure (refused, reset, connect timeout). */
  | 'ErrNetwork'
  /** The transport was stopped. */
  | 'ErrStopped'
  /** Our admission check (`admit`) refused the peer with a reason of its own (see `reason`). */
  | 'ErrRefused'

export class RlpxError extends Error {
  override readonly name = 'RlpxError'
  readonly code: RlpxErrorCode
  /** For 'ErrDisconnected': the reason the peer gave; for a refusal: the reason we sent. */
  readonly reason?: number

  constructor(
    code: RlpxErrorCode,
    message: string,
    opts: { cause?: unknown; reason?: number } = {},
  ) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    if (opts.reason !== undefined) this.reason = opts.reason
  }
}

/**
 * Whether `err` is an {@link RlpxError} (with `code`, when given), by its `name` brand and string
 * `code`, not `instanceof` (a second copy of the package makes errors `instanceof` misses).
 */
export function isRlpxError(err: unknown, code?: RlpxErrorCode): err is RlpxError {
  return isCodedError<RlpxError>(err, 'RlpxError', code)
}

/**
 * The code of the error for a peer we refused with disconnect `reason`: `ErrStopped` while
 * stopping, `ErrTooManyPeers`, `ErrAlreadyConnected`, `ErrIdentity` for ourselves, and
 * `ErrRefused` for any other reason an `admit` hook gave.
 */
export function refusalCode(reason: number): RlpxErrorCode {
  switch (reason) {
    case DisconnectReason.ClientQuitting:
      return 'ErrStopped'
    case DisconnectReason.TooManyPeers:
      return 'ErrTooManyPeers'
    case DisconnectReason.AlreadyConnected:
      return 'ErrAlreadyConnected'
    case DisconnectReason.ConnectedToSelf:
    case DisconnectReason.UnexpectedIdentity:
    case DisconnectReason.InvalidIdentity:
      return 'ErrIdentity'
    default:
      return 'ErrRefused'
  }
}
