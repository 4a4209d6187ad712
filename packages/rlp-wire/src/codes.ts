/** eth message codes, relative to the eth capability's offset. */
export const MsgCode = {
  Status: 0x00,
  NewBlockHashes: 0x01,
  Transactions: 0x02,
  GetBlockHeaders: 0x03,
  BlockHeaders: 0x04,
  GetBlockBodies: 0x05,
  BlockBodies: 0x06,
  NewBlock: 0x07,
  NewPooledTransactionHashes: 0x08,
  GetPooledTransactions: 0x09,
  PooledTransactions: 0x0a,
  GetNodeData: 0x0d,
  NodeData: 0x0e,
  GetReceipts: 0x0f,
  Receipts: 0x10,
  BlockRangeUpdate: 0x11,
  /** eth/71 (EIP-8159). */
  GetBlockAccessLists: 0x12,
  BlockAccessLists: 0x13,
  /** eth/72 (EIP-8070). */
  GetCells: 0x14,
  Cells: 0x15,
} as const
export type MsgCode = (typeof MsgCode)[keyof typeof MsgCode]
export type MsgName = keyof typeof MsgCode

/**
 * The eth versions ethwire negotiates, highest first. eth/71 and eth/72 are encoded and decoded
 * ({@link KNOWN_VERSIONS}) but not offered: nothing in the stack serves block access lists or
 * blob cells yet.
 */
export const SUPPORTED_VERSIONS = [70, 69, 68, 67, 66, 63, 62] as const
export type EthVersion = (typeof SUPPORTED_VERSIONS)[number]

/** Every eth version the codecs know (62–72; 64 and 65 only for their message shapes). */
export const KNOWN_VERSIONS = [72, 71, 70, 69, 68, 67, 66, 65, 64, 63, 62] as const
/** The highest eth version the codecs know. */
export const maxKnownVersion = 72

/** 10 MiB: the largest message payload any eth version accepts. */
export const maxMessageSizeBytes = 10 * 1024 * 1024
