/**
 * The eth transport contract: a message is a code and an RLP payload; an `EthConnection` is one
 * negotiated `eth` stream with one peer; an `EthTransport` listens, dials and hands connections up.
 * `@ethwire/rlp-wire`'s `msgPipe()`, `@ethwire/transport-libp2p` and `@ethwire/transport-rlpx` all
 * implement it and run the same compliance suite, `transportSuite` from
 * `@ethwire/interface/testing`.
 */
import type { AbortOptions } from './lifecycle.js'

/** One received message. `payload` is the RLP of the message body (no code, no framing). */
export interface Msg {
  readonly code: number
  /** Payload size in bytes as announced on the wire. */
  readonly size: number
  readonly payload: Uint8Array
  /** Milliseconds (the transport's clock) when the message was fully received. */
  readonly receivedAt: number
}

/** How a closed stream ended. */
export interface CloseInfo {
  /** devp2p disconnect reason (`DisconnectReason` of `@ethwire/rlp-wire`). */
  readonly reason: number
  /** True when the other side closed (or sent Disconnect). */
  readonly remote: boolean
}

/**
 * One eth stream with one peer.
 *
 * - Reads: each `readMsg` call resolves with the next message not yet handed out, in call order;
 *   concurrent calls queue and are served first come, first served.
 * - A signal that is already aborted rejects at once with its reason and takes no message; one that
 *   aborts while the call waits rejects it with its reason, and the next message goes to the next
 *   call.
 * - Writes may be concurrent and are delivered in call order. A payload over the transport's cap
 *   rejects with a `code` of `'ErrMsgTooLarge'` and leaves the stream open.
 * - Once closed (by either side), pending and later reads and writes reject with a `code` of
 *   `'ErrClosed'` that carries `reason` and `remote`; `closeInfo` says the same. Messages
 *   received but not yet read are dropped. `close` is idempotent: only the first reason counts
 *   (default `Requested`, 0x00), and it resolves once the peer was told.
 *
 * `transportSuite` in `@ethwire/interface/testing` checks each of these rules.
 */
export interface MsgReadWriter {
  readMsg(signal?: AbortSignal): Promise<Msg>
  writeMsg(code: number, payload: Uint8Array): Promise<void>
  close(reason?: number): Promise<void>
  /** Set once the stream is closed. */
  readonly closeInfo: CloseInfo | undefined
}

/** Who opened the connection. */
export type Direction = 'inbound' | 'outbound'

/**
 * A negotiated eth connection as a transport hands it up: the stream plus who is on the other end,
 * who dialed whom, and which eth version was agreed.
 */
export interface EthConnection extends MsgReadWriter {
  /** The negotiated eth protocol version (62, 63, 66 … 70). */
  readonly version: number
  /** `outbound` when we dialed. */
  readonly direction: Direction
  /** Stable id of the remote node (libp2p peer id string or RLPx node id hex). */
  readonly remoteId: string
  /** The remote's address (a multiaddr or an enode URL) for logs, `admin_peers` and re-dialing. */
  readonly remoteAddress: string
  /** Name of the transport that carries it (`'libp2p'`, `'rlpx'`, `'pipe'`). */
  readonly transport: string
}

/**
 * A transport: binds listeners, dials addresses of its scheme, and announces every connection
 * that finished its handshake with a shared eth version.
 *
 * - `onConnection` listeners see every such connection, inbound and outbound (`direction` says
 *   which); for a dial they run before `dial` resolves with the same object.
 * - `dial` works before `listen` (a transport that must run to dial starts itself); it rejects
 *   with a coded error (`ErrDial`, `ErrNoCommonVersion`, a refusal) or an aborted signal's reason,
 *   and never leaves a half-open connection behind.
 * - `listen` is idempotent; `connectionCount` drops once a connection is closed.
 * - `close` closes every connection with `ClientQuitting`, the listeners and pending handshakes,
 *   and resolves once all are released. It is idempotent; `dial` and `listen` reject after it.
 */
export interface EthTransport {
  /** The transport's name, the same string as `EthConnection.transport`. */
  readonly name: string
  /** Whether `address` is one this transport dials (its scheme: `enode://…`, a multiaddr, …). */
  canDial(address: string): boolean
  /** Binds the listeners; resolves with the addresses others can dial us at. */
  listen(options?: AbortOptions): Promise<string[]>
  /** The addresses to dial us at (empty before `listen`). */
  addresses(): string[]
  dial(address: string, options?: AbortOptions): Promise<EthConnection>
  /** Subscribes to new connections; returns the unsubscribe function. */
  onConnection(listener: (connection: EthConnection) => void): () => void
  /** Open connections, both directions. */
  readonly connectionCount: number
  close(): Promise<void>
}
