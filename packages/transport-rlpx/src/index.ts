/**
 * @ethwire/transport-rlpx — eth over RLPx, the transport every Ethereum execution client speaks:
 * the ECIES handshake (EIP-8, and the old format on receipt), the AES-CTR/keccak-MAC frame layer,
 * the p2p base protocol (Hello, capability matching, Ping/Pong, Disconnect) and snappy (EIP-706).
 * Each connection comes out as an `EthConnection` for the negotiated eth version, with message
 * codes relative to eth's offset — the protocol layer above does not know which transport it is.
 *
 * @example
 * ```ts
 * import { createRlpxTransport, loadOrCreateNodeKey } from '@ethwire/transport-rlpx'
 *
 * const nodeKey = await loadOrCreateNodeKey('./datadir')
 * const rlpx = createRlpxTransport({}, {
 *   nodeKey,
 *   listen: { host: '127.0.0.1', port: 30303 },
 *   onConnection: (conn) => console.log('eth/%d with %s', conn.version, conn.remoteAddress),
 * })
 * await rlpx.listen()
 * console.log(rlpx.enode)
 * const conn = await rlpx.dial('enode://<128 hex>@127.0.0.1:30304')
 * await conn.writeMsg(0x00, statusPayload) // eth Status, code relative to eth's offset
 * await rlpx.stop()
 * ```
 */
export {
  baseProtocolLength,
  defaultMaxFrameSizeBytes,
  defaultMaxMessageSizeBytes,
  defaultMaxPeers,
  dialTimeoutMs,
  disconnectGraceMs,
  handshakeTimeoutMs,
  maxFrameSizeLimitBytes,
  p2pProtocolVersion,
  pingIntervalMs,
  pongTimeoutMs,
} from './constants.js'
export {
  type BlockCipher,
  type CryptoBackend,
  type CryptoBackendKind,
  type KeccakState,
  loadCryptoBackend,
  pureCryptoBackend,
  type StreamCipher,
} from './crypto.js'
export { eciesDecrypt, eciesEncrypt, publicKeyOf } from './ecies.js'
export { type Enode, formatEnode, parseEnode } from './enode.js'
export { isRlpxError, RlpxError, type RlpxErrorCode, refusalCode } from './errors.js'
export {
  FrameCodec,
  type FrameCodecOptions,
  FrameMac,
  type RawFrame,
  type SessionSecrets,
} from './frame.js'
export {
  type AckInfo,
  type AckParams,
  type AuthInfo,
  type AuthParams,
  createAck,
  createAuth,
  type DerivedSecrets,
  deriveSecrets,
  HandshakeReader,
  readAck,
  readAuth,
  type SecretsParams,
} from './handshake.js'
export { loadOrCreateNodeKey, nodeIdOf } from './nodekey.js'
export {
  type Capability,
  type CapabilitySpec,
  decodeDisconnect,
  decodeHello,
  encodeDisconnect,
  encodeHello,
  type Hello,
  matchCapabilities,
  P2pCode,
  type SharedCapability,
} from './p2p.js'
export {
  type HandshakeParams,
  handshake,
  RlpxSession,
  RlpxStream,
  type SessionInit,
  type SessionOptions,
} from './session.js'
export { snappyCompress, snappyDecodedLength, snappyUncompress } from './snappy.js'
export {
  createRlpxTransport,
  type DialOptions,
  ethCapability,
  type RlpxTransport,
  type RlpxTransportDeps,
  type RlpxTransportOptions,
  rlpxTransportName,
} from './transport.js'
export type { RandomBytes, RlpxSocket } from './types.js'
