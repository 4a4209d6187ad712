// The only file that imports @ethwire/rlp-wire: the transport contract and the typed errors.
// TEMPORARY: rlp-wire has no src/index.ts yet, so this reaches into its sources; switch to
// `from '@ethwire/rlp-wire'` as soon as its index lands.
export { maxMessageSizeBytes, SUPPORTED_VERSIONS } from '../../rlp-wire/src/codes.js'
export type { WireErrorCode } from '../../rlp-wire/src/errors.js'
export { isWireError, WireError } from '../../rlp-wire/src/errors.js'
export type { CloseInfo, EthConnection, Msg, MsgReadWriter } from '../../rlp-wire/src/transport.js'
export { DisconnectReason, disconnectReasonName } from '../../rlp-wire/src/transport.js'
