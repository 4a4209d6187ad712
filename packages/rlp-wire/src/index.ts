/**
 * @ethwire/rlp-wire — Ethereum `eth` wire types and messages for eth/62–72: strict RLP codecs,
 * block/header/transaction/receipt types with cached hashes, ordered trie roots, every message
 * of every version, typed errors, and the devp2p `DisconnectReason`s (the transport contract
 * itself is `@ethwire/interface`'s).
 *
 * @example
 * ```ts
 * import { decodeMessage, bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
 * const msg = decodeMessage(68, { code: 0x04, payload: hexToBytes('0xc4820457c0') })
 * if (msg.name === 'BlockHeaders') console.log(msg.requestId, msg.headers.map((h) => bytesToHex(h.hash)))
 * ```
 */

export {
  Block,
  type BlockBody,
  bodyFromRlp,
  bodyToRlp,
  checkBody,
  decodeBodyRaw,
  receiptsRoot,
  transactionsRoot,
  unclesHash,
  withdrawalsRoot,
} from './block.js'
export {
  bigIntToBytes,
  bytesToBigInt,
  bytesToHex,
  bytesToNumber,
  concatBytes,
  equalBytes,
  hexToBytes,
  keccak256,
  numberToBytes,
  utf8ToBytes,
} from './bytes.js'
export {
  type EthVersion,
  KNOWN_VERSIONS,
  MsgCode,
  type MsgName,
  maxKnownVersion,
  maxMessageSizeBytes,
  SUPPORTED_VERSIONS,
} from './codes.js'
export {
  blobSizeBytes,
  bloomSizeBytes,
  cellMaskSizeBytes,
  cellProofsPerBlob,
  cellSizeBytes,
  logDataGas,
  maxHeaderFields,
  maxRlpDepth,
  minHeaderFields,
  minTxGas,
} from './constants.js'
export { isWireError, WireError, type WireErrorCode } from './errors.js'
export { BlockHeader } from './header.js'
export {
  blockAccessListHash,
  decodeMessage,
  decodeStatus,
  type EthMessage,
  type EthMessageOf,
  encodeMessage,
  encodeStatus,
  hasForkId,
  hasRequestId,
  isRequestIdVersion,
  isStatusEth69,
  messageCodes,
  messageName,
  protocolLength,
  versionHasCode,
} from './messages.js'
export {
  checkPartialReceipts,
  decodeReceipt,
  decodeWithdrawal,
  encodeReceipt,
  encodeWithdrawal,
  logsBloom,
  receiptFromEth69,
  receiptFromNetwork,
  receiptFromNetworkRaw,
  receiptLogsSize,
  receiptToEth69,
  receiptToNetwork,
} from './receipt.js'
export {
  asBool,
  asBytes,
  asFixed,
  asList,
  asUint,
  asUintNumber,
  RlpCursor,
  type RlpInput,
  type RlpItem,
  RlpRaw,
  rlpDecode,
  rlpEncode,
  rlpEncodeListOfEncoded,
  rlpIsList,
  rlpItemLength,
  rlpListElements,
  rlpRaw,
  rlpSplitConcat,
  rlpStringContent,
} from './rlp.js'
export {
  authorizationSigHash,
  Transaction,
} from './transaction.js'
export {
  /** @deprecated import it from `@ethwire/interface` */
  type CloseInfo,
  /** @deprecated import it from `@ethwire/interface` */
  type Direction,
  DisconnectReason,
  disconnectReasonName,
  /** @deprecated import it from `@ethwire/interface` */
  type EthConnection,
  /** @deprecated import it from `@ethwire/interface` */
  type Msg,
  /** @deprecated import it from `@ethwire/interface` */
  type MsgReadWriter,
} from './transport.js'
export {
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  orderedTrieRoot,
  type TrieRootFunctions,
  trieRoot,
  trieRootFunctions,
} from './trie.js'
export type * from './types.js'
