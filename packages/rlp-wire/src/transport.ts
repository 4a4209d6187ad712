/**
 * The transport contract every other package speaks: a message is a code and an RLP payload;
 * a `MsgReadWriter` is one negotiated `eth` stream with one peer. Transports (libp2p, RLPx)
 * produce them; the in-memory `msgPipe()` in `./testing` is the test double.
 */

/** devp2p disconnect reasons (RLPx spec), used by every transport. */
export const DisconnectReason = {
  Requested: 0x00,
  NetworkError: 0x01,
  ProtocolError: 0x02,
  UselessPeer: 0x03,
  TooManyPeers: 0x04,
  AlreadyConnected: 0x05,
  IncompatibleVersion: 0x06,
  InvalidIdentity: 0x07,
  ClientQuitting: 0x08,
  UnexpectedIdentity: 0x09,
  ConnectedToSelf: 0x0a,
  Timeout: 0x0b,
  SubprotocolError: 0x10,
} as const
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason]

export function disconnectReasonName(reason: number): string {
  for (const [k, v] of Object.entries(DisconnectReason)) if (v === reason) return k
  return `Unknown(0x${reason.toString(16)})`
}

/** One received message. `payload` is the RLP of the message body (no code, no framing). */
export interface Msg {
  readonly code: number
  /** Payload size in bytes as announced on the wire. */
  readonly size: number
  readonly payload: Uint8Array
  /** Milliseconds (the transport's clock) when the message was fully received. */
  readonly receivedAt: number
}

export interface CloseInfo {
  readonly reason: DisconnectReason | number
  /** True when the other side closed (or sent Disconnect). */
  readonly remote: boolean
}

/**
 * One eth stream with one peer. Reads are sequential (one reader); writes may be concurrent and
 * are delivered in call order.
 */
export interface MsgReadWriter {
  /**
   * The next message. Rejects with `WireError('ErrClosed')` (carrying `reason`/`remote`) once the
   * stream is closed, `WireError('ErrMsgTooLarge')` for an over-cap message, or an `AbortError`
   * when `signal` aborts.
   */
  readMsg(signal?: AbortSignal): Promise<Msg>
  /**
   * Sends one message. Resolves when the transport has taken it (back-pressure respected).
   * Rejects with `WireError('ErrClosed')` when closed, `ErrMsgTooLarge` above the cap.
   */
  writeMsg(code: number, payload: Uint8Array): Promise<void>
  /** Closes the stream, telling the peer why. Idempotent; pending reads reject with ErrClosed. */
  close(reason?: DisconnectReason | number): Promise<void>
  /** Set once the stream is closed. */
  readonly closeInfo: CloseInfo | undefined
}

/**
 * A negotiated eth connection as a transport hands it up: the stream plus who is on the other end
 * and which eth version was agreed.
 */
export interface EthConnection extends MsgReadWriter {
  /** The negotiated eth protocol version (62, 63, 66, 67, 68, 69). */
  readonly version: number
  /** Stable id of the remote node (libp2p peer id string or RLPx node id hex). */
  readonly remoteId: string
  /** Human-readable remote address (multiaddr or enode URL), for logs and admin_peers. */
  readonly remoteAddress: string
  /** Which transport carries it. */
  readonly transport: 'libp2p' | 'rlpx' | 'pipe'
}
