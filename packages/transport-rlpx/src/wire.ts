/**
 * What this package takes from the contract packages, in one place: the transport contract from
 * `@ethwire/interface`; the disconnect reasons, typed errors, version tables and the RLP codec
 * (for auth/ack bodies, Hello and Disconnect) from `@ethwire/rlp-wire`.
 */
export type {
  CloseInfo,
  Direction,
  EthConnection,
  EthTransport,
  Msg,
  MsgReadWriter,
} from '@ethwire/interface'
export {
  asBytes,
  asList,
  DisconnectReason,
  disconnectReasonName,
  isWireError,
  maxMessageSizeBytes,
  protocolLength,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  rlpItemLength,
  SUPPORTED_VERSIONS,
  WireError,
} from '@ethwire/rlp-wire'
