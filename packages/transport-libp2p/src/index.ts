/**
 * @ethwire/transport-libp2p — the eth wire protocol over libp2p (TCP + noise + yamux, with identify
 * and ping). One protocol id per eth version (`/ethwire/eth/68/1.0.0`); dialling picks the highest
 * version both sides speak, and every negotiated stream becomes an `EthConnection` of
 * `@ethwire/interface` (the `MsgReadWriter` contract plus version, direction and remote id):
 * length-prefixed frames with the 10 MiB cap checked before the payload is buffered, back-pressure
 * both ways, and a Disconnect frame on close so both sides see the reason. The transport is an
 * `EthTransport` (`listen`, `dial`, `onConnection`, `close`) and `Startable`.
 *
 * @example
 * ```ts
 * import { createLibp2pTransport } from '@ethwire/transport-libp2p'
 *
 * const a = createLibp2pTransport({}, { datadir: './data-a', versions: [68, 69] })
 * const b = createLibp2pTransport({}, { versions: [67, 68] })
 * b.onConnection((conn) => console.log(conn.direction, conn.remoteId)) // 'inbound', a's peer id
 * await a.listen()
 * const [addr] = await b.listen()
 * const out = await a.dial(addr)                   // out.version === 68, out.direction === 'outbound'
 * await out.writeMsg(0x00, statusPayload)
 * await out.close(0x08)                            // b's end: closeInfo → { reason: 8, remote: true }
 * await a.close(); await b.close()
 * ```
 */
import './polyfill.js'

export { Libp2pEthConnection, type Libp2pEthConnectionInit } from './connection.js'
export {
  closeTimeoutMs,
  defaultInboundPerHostPerSecond,
  defaultListenAddrs,
  defaultMaxConnections,
  defaultMaxMessageSizeBytes,
  defaultMaxPendingInboundConnections,
  defaultProtocolPrefix,
  dialTimeoutMs,
  disconnectFrameCode,
  maxFrameCode,
  maxPendingInbound,
  maxTrackedInboundHosts,
  peerKeyFileName,
  readQueueHighWaterBytes,
} from './constants.js'
export { isTransportError, TransportError, type TransportErrorCode } from './errors.js'
export {
  encodeFrame,
  encodeFrameHeader,
  type Frame,
  FrameDecoder,
  type FrameDecoderOptions,
} from './framing.js'
export {
  createInboundRateLimiter,
  hostOfMultiaddr,
  type InboundRateLimiter,
  isLoopbackHost,
} from './inbound-limit.js'
export { loadOrCreatePeerKey } from './peer-key.js'
export {
  createLibp2pTransport,
  type DialOptions,
  defaultTransports,
  type Libp2pInboundLimits,
  type Libp2pTransport,
  type Libp2pTransportDeps,
  type Libp2pTransportKind,
  type Libp2pTransportOptions,
  type ListenAddressesOptions,
  libp2pTransportFor,
  libp2pTransportName,
  listenAddresses,
  protocolId,
  versionOfProtocol,
} from './transport.js'
export type { FrameStream } from './types.js'
