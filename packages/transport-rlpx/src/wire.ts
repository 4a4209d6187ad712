/** What this package takes from the shared contract in @ethwire/rlp-wire, in one place. */
export {
  type CloseInfo,
  DisconnectReason,
  disconnectReasonName,
  type EthConnection,
  isWireError,
  type Msg,
  type MsgReadWriter,
  maxMessageSizeBytes,
  protocolLength,
  SUPPORTED_VERSIONS,
  WireError,
} from '@ethwire/rlp-wire'
