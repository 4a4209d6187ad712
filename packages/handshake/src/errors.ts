import { isCodedError } from '@ethwire/interface/runtime'
import { DisconnectReason } from '@ethwire/rlp-wire'

/** Why EIP-2124 validation rejected a remote fork id. */
export type ForkIdRejection =
  /** The remote is on a fork we passed but does not know the fork that followed: it needs a software update. */
  | 'ErrRemoteStale'
  /** The remote is on an incompatible chain, or we are stale (a fork it announces already passed locally). */
  | 'ErrLocalIncompatibleOrStale'

/** Every way a Status handshake or the DAO challenge can fail. */
export type HandshakeErrorCode =
  /** The first message was not Status. */
  | 'ErrNoStatusMsg'
  /** The Status message was over the size cap. */
  | 'ErrMsgTooLarge'
  /** The Status message could not be decoded for the negotiated version. */
  | 'ErrDecode'
  /** The remote's genesis hash differs from ours. */
  | 'ErrGenesisMismatch'
  /** The remote's network id differs from ours. */
  | 'ErrNetworkIdMismatch'
  /** The Status carries a protocol version other than the negotiated one. */
  | 'ErrProtocolVersionMismatch'
  /** The EIP-2124 filter rejected the remote fork id (see `forkIdReason`). */
  | 'ErrForkIdRejected'
  /** eth/69+: the block range is invalid (earliest above latest, or a zero latest hash). */
  | 'ErrInvalidBlockRange'
  /** The exchange did not finish in time. */
  | 'ErrTimeout'
  /** The connection closed during the exchange (see `remoteReason`). */
  | 'ErrClosed'
  /** DAO challenge: the peer did not answer with the fork block's header in time. */
  | 'ErrDaoChallengeTimeout'
  /** DAO challenge: the peer's fork block is on the other side of the DAO fork (or not the block asked for). */
  | 'ErrDaoForkMismatch'

/** A handshake failure with a stable code and the devp2p disconnect reason to send for it. */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError'
  readonly code: HandshakeErrorCode
  /** For `ErrForkIdRejected`: the EIP-2124 sub-reason. */
  readonly forkIdReason?: ForkIdRejection
  /** For `ErrClosed`: the reason the connection was closed with, and who closed it. */
  readonly remoteReason?: number
  readonly remote?: boolean

  constructor(
    code: HandshakeErrorCode,
    message: string,
    opts: {
      cause?: unknown
      forkIdReason?: ForkIdRejection
      remoteReason?: number
      remote?: boolean
    } = {},
  ) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    if (opts.forkIdReason !== undefined) this.forkIdReason = opts.forkIdReason
    if (opts.remoteReason !== undefined) this.remoteReason = opts.remoteReason
    if (opts.remote !== undefined) this.remote = opts.remote
  }

  /** The devp2p disconnect reason to send the peer for this failure. */
  get disconnectReason(): number {
    return disconnectReasonFor(this.code, this.remoteReason)
  }
}

/**
 * True when `err` is a {@link HandshakeError} (with `code`, when given), by its `name` brand and
 * string `code`, not `instanceof` (a second copy of the package makes errors `instanceof` misses).
 */
export function isHandshakeError(err: unknown, code?: HandshakeErrorCode): err is HandshakeError {
  return isCodedError<HandshakeError>(err, 'HandshakeError', code)
}

/**
 * The devp2p disconnect reason for a handshake failure: malformed or out-of-order messages are a
 * protocol error; a peer on another chain or network is useless; a version mismatch is
 * incompatible; a slow peer timed out. `ErrClosed` echoes the reason the connection closed with.
 */
export function disconnectReasonFor(code: HandshakeErrorCode, closedReason?: number): number {
  switch (code) {
    case 'ErrNoStatusMsg':
    case 'ErrMsgTooLarge':
    case 'ErrDecode':
    case 'ErrInvalidBlockRange':
      return DisconnectReason.ProtocolError
    case 'ErrGenesisMismatch':
    case 'ErrNetworkIdMismatch':
    case 'ErrForkIdRejected':
    case 'ErrDaoForkMismatch':
      return DisconnectReason.UselessPeer
    case 'ErrProtocolVersionMismatch':
      return DisconnectReason.IncompatibleVersion
    case 'ErrTimeout':
    case 'ErrDaoChallengeTimeout':
      return DisconnectReason.Timeout
    case 'ErrClosed':
      return closedReason ?? DisconnectReason.NetworkError
  }
}
