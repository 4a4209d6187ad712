import { isCodedError } from '@ethwire/interface/runtime'
import { DisconnectReason } from '@ethwire/rlp-wire'

export type PeerErrorCode =
  /** A request got no response in time. */
  | 'ErrTimeout'
  /** The peer (or its connection) is closed. */
  | 'ErrClosed'
  /** The negotiated version has no such message (e.g. GetNodeData on eth/67+). */
  | 'ErrUnsupported'
  /** A response matched a request but cannot be its answer (more items than asked for). */
  | 'ErrInvalidResponse'
  /** register: the peer set is closed. */
  | 'ErrPeerSetClosed'
  /** register: a peer with this id is already registered. */
  | 'ErrAlreadyRegistered'
  /** unregister: no peer with this id. */
  | 'ErrNotRegistered'
  /** register: the peer set is full. */
  | 'ErrTooManyPeers'
  /** register: the peer id is banned (its reputation fell below the ban threshold). */
  | 'ErrBanned'

const disconnectReasons: Record<PeerErrorCode, number> = {
  ErrTooManyPeers: DisconnectReason.TooManyPeers,
  ErrBanned: DisconnectReason.UselessPeer,
  ErrAlreadyRegistered: DisconnectReason.AlreadyConnected,
  ErrPeerSetClosed: DisconnectReason.ClientQuitting,
  ErrTimeout: DisconnectReason.Timeout,
  ErrInvalidResponse: DisconnectReason.ProtocolError,
  ErrUnsupported: DisconnectReason.ProtocolError,
  ErrClosed: DisconnectReason.Requested,
  ErrNotRegistered: DisconnectReason.Requested,
}

/** A failure of a peer or of the peer set, with a stable code. */
export class PeerError extends Error {
  override readonly name = 'PeerError'
  readonly code: PeerErrorCode

  constructor(code: PeerErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }

  /** The devp2p disconnect reason to send the peer when this error ends the connection. */
  get disconnectReason(): number {
    return disconnectReasons[this.code]
  }
}

/** Whether `err` is a {@link PeerError} (with `code`, when given), by its `name` brand, not `instanceof`. */
export function isPeerError(err: unknown, code?: PeerErrorCode): err is PeerError {
  return isCodedError<PeerError>(err, 'PeerError', code)
}
