// The only file that imports @ethwire/rlp-wire: the transport contract and the typed errors.
export {
  type CloseInfo,
  DisconnectReason,
  disconnectReasonName,
  type EthConnection,
  isWireError,
  type Msg,
  type MsgReadWriter,
  maxMessageSizeBytes,
  SUPPORTED_VERSIONS,
  WireError,
  type WireErrorCode,
} from '@ethwire/rlp-wire'
