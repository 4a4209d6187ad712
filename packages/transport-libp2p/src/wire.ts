// The only file that imports the contract packages: the transport contract from
// @ethwire/interface, the disconnect reasons and typed errors from @ethwire/rlp-wire.
export type {
  CloseInfo,
  Direction,
  EthConnection,
  EthTransport,
  Msg,
  MsgReadWriter,
} from '@ethwire/interface'
export {
  DisconnectReason,
  disconnectReasonName,
  isWireError,
  maxMessageSizeBytes,
  SUPPORTED_VERSIONS,
  WireError,
  type WireErrorCode,
} from '@ethwire/rlp-wire'
