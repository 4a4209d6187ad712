// TEMPORARY shim until @ethwire/rlp-wire has its index: same classes, imported from its sources.

export { maxMessageSizeBytes, SUPPORTED_VERSIONS } from '../../rlp-wire/src/codes.js'
export { isWireError, WireError } from '../../rlp-wire/src/errors.js'
export {
  type CloseInfo,
  DisconnectReason,
  disconnectReasonName,
  type EthConnection,
  type Msg,
  type MsgReadWriter,
} from '../../rlp-wire/src/transport.js'
export function protocolLength(version: number): number {
  return version <= 62 ? 8 : version >= 69 ? 18 : 17
}
