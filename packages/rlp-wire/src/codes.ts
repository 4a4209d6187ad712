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
} as const
export type MsgCode = (typeof MsgCode)[keyof typeof MsgCode]
export type MsgName = keyof typeof MsgCode

/** The eth versions ethwire speaks, highest first. */
export const SUPPORTED_VERSIONS = [69, 68, 67, 66, 63, 62] as const
export type EthVersion = (typeof SUPPORTED_VERSIONS)[number]

/** 10 MiB: the largest message payload any eth version accepts. */
export const maxMessageSizeBytes = 10 * 1024 * 1024
