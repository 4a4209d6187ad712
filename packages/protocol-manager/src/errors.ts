import { isCodedError } from '@ethwire/interface/runtime'
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
  /** eth/69+: NewBlock or NewBlockHashes (block announcements are gone since the merge). */
  | 'ErrBlockAnnounceForbidden'
  /**
   * NewBlock with an implausible total difficulty (over 100 bits, go-ethereum's sanity check), or
   * whose body does not match its header's roots.
   */
  | 'ErrInvalidNewBlock'
  /**
   * The block fetcher or the tx fetcher found the peer breaking a rule, or the downloader gave up
   * on the peer; `cause` is their typed error and the disconnect reason follows its code.
   */
  | 'ErrBadPeer'
  /**
   * eth/70: a receipts answer with more lists than blocks asked, or a cut (partial) list that
   * fails EIP-7975's checks or does not continue the block it should.
   */
  | 'ErrInvalidReceipts'
  /**
   * The DAO-fork challenge: the peer's fork block header is on the other side of the fork, not
   * the block asked for, or did not come in time (`cause` is the handshake's error; its reason).
   */
  | 'ErrDaoFork'
  /**
   * The peer's reputation score fell below the ban threshold (repeated timeouts, invalid or
   * unsolicited responses, floods of announcements or of requests for what we do not have): its id
   * is banned for a while (`PeerScores.banDurationMs`, 12 h). `cause` is the last offence's error
   * when there is one; the disconnect reason is the report's (UselessPeer, or ProtocolError for bad
   * messages).
   */
  | 'ErrReputation'

const reasons: Record<ProtocolErrorCode, number> = {
  ErrMsgTooLarge: DisconnectReason.ProtocolError,
  ErrInvalidMsgCode: DisconnectReason.ProtocolError,
  ErrExtraStatusMsg: DisconnectReason.ProtocolError,
  ErrDecode: DisconnectReason.ProtocolError,
  ErrBlockAnnounceForbidden: DisconnectReason.ProtocolError,
  ErrInvalidNewBlock: DisconnectReason.ProtocolError,
  ErrBadPeer: DisconnectReason.UselessPeer,
  ErrInvalidReceipts: DisconnectReason.ProtocolError,
  ErrDaoFork: DisconnectReason.UselessPeer,
  ErrReputation: DisconnectReason.UselessPeer,
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
    opts: { cause?: unknown; wireCode?: string; msgCode?: number; disconnectReason?: number } = {},
  ) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.peerId = peerId
    this.disconnectReason = opts.disconnectReason ?? reasons[code]
    if (opts.wireCode !== undefined) this.wireCode = opts.wireCode
    if (opts.msgCode !== undefined) this.msgCode = opts.msgCode
  }
}

/**
 * Whether `err` is a {@link ProtocolError} (with that `code`, when given). Checks the `name` and
 * `code` brand, not `instanceof`: the package ships ESM and CJS, and two copies of the class can
 * meet in one process.
 */
export function isProtocolError(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
  return isCodedError<ProtocolError>(err, 'ProtocolError', code)
}

/** Errors of the manager itself (not caused by a peer). */
export type ProtocolManagerErrorCode =
  /** `start()` after `stop()`: a stopped manager is not restarted (the `Startable` contract). */
  | 'ErrStopped'
  /**
   * A `NewBlock` or `NewBlockHashes` was about to be written to an eth/69+ peer (say through
   * `parts.peers`): refused, as go-ethereum drops a peer that sends one.
   */
  | 'ErrBlockAnnounceForbidden'
  /**
   * The peer was disconnected (TooManyPeers) to make room for a trusted peer arriving when the
   * peer set was full; it was the lowest-scored of the peers that are neither trusted nor static.
   */
  | 'ErrEvicted'

export class ProtocolManagerError extends Error {
  override readonly name = 'ProtocolManagerError'
  readonly code: ProtocolManagerErrorCode

  constructor(code: ProtocolManagerErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }
}

/** Whether `err` is a {@link ProtocolManagerError} (by its brand), with that `code` when given. */
export function isProtocolManagerError(
  err: unknown,
  code?: ProtocolManagerErrorCode,
): err is ProtocolManagerError {
  return isCodedError<ProtocolManagerError>(err, 'ProtocolManagerError', code)
}
