/**
 * The devp2p disconnect reasons every transport uses. The transport contract itself (`Msg`,
 * `MsgReadWriter`, `EthConnection`, `CloseInfo`) lives in `@ethwire/interface` and is re-exported
 * here for code that imported it from rlp-wire.
 */
export type {
  CloseInfo,
  Direction,
  EthConnection,
  Msg,
  MsgReadWriter,
} from '@ethwire/interface'

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
