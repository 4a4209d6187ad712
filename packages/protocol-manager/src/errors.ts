import { DisconnectReason } from '@ethwire/rlp-wire'

/** Every way a peer can break the protocol after the handshake; each gets the peer dropped. */
export type ProtocolErrorCode =
  /** A message over the 10 MiB cap (or the transport's cap). */
  | 'ErrMsgTooLarge'
  /** A message code the negotiated version does not have. */
  | 'ErrInvalidMsgCode'
  /** A second Status after the handshake. */
  | 'ErrExtraStatusMsg'
  /** A message that does not decode for the negotiated version (`wireCode` says how). */
  | 'ErrDecode'
  /** eth/69: NewBlock or NewBlockHashes (block announcements are gone since the merge). */
  | 'ErrBlockAnnounceForbidden'
  /** NewBlock with an implausible total difficulty (over 100 bits, go-ethereum's sanity check). */
  | 'ErrInvalidNewBlock'
  /** The block fetcher found an invalid header/body, or the downloader gave up on the peer. */
  | 'ErrBadPeer'

const reasons: Record<ProtocolErrorCode, number> = {
  ErrMsgTooLarge: DisconnectReason.ProtocolError,
  ErrInvalidMsgCode: DisconnectReason.ProtocolError,
  ErrExtraStatusMsg: DisconnectReason.ProtocolError,
  ErrDecode: DisconnectReason.ProtocolError,
  ErrBlockAnnounceForbidden: DisconnectReason.ProtocolError,
  ErrInvalidNewBlock: DisconnectReason.ProtocolError,
  ErrBadPeer: DisconnectReason.UselessPeer,
}

/** A peer-caused error with a stable code and the devp2p disconnect reason the peer is sent. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  readonly code: ProtocolErrorCode
  readonly disconnectReason: number
  /** The peer that caused it. */
  readonly peerId: string
  /** For `ErrDecode` / `ErrMsgTooLarge`: the `WireError` code from `@ethwire/rlp-wire`. */
  readonly wireCode?: string
  /** The message code concerned, when there is one. */
  readonly msgCode?: number

  constructor(
    code: ProtocolErrorCode,
    peerId: string,
    message: string,
    opts: { cause?: unknown; wireCode?: string; msgCode?: number } = {},
  ) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.peerId = peerId
    this.disconnectReason = reasons[code]
    if (opts.wireCode !== undefined) this.wireCode = opts.wireCode
    if (opts.msgCode !== undefined) this.msgCode = opts.msgCode
  }
}

export function isProtocolError(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
  return err instanceof ProtocolError && (code === undefined || err.code === code)
}
