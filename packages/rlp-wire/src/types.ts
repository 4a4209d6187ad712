/**
 * Plain data shapes of the chain and of every eth message. Quantities are `bigint`; hashes,
 * addresses and byte strings are `Uint8Array`. Decoders return these shapes; encoders take them.
 */

export type Bytes = Uint8Array

/** Header fields; the optional tail grows with each fork (London, Shanghai, Cancun, Prague). */
export interface HeaderData {
  parentHash: Bytes
  uncleHash: Bytes
  coinbase: Bytes
  stateRoot: Bytes
  txRoot: Bytes
  receiptRoot: Bytes
  bloom: Bytes
  difficulty: bigint
  number: bigint
  gasLimit: bigint
  gasUsed: bigint
  time: bigint
  extra: Bytes
  mixDigest: Bytes
  nonce: Bytes
  /** EIP-1559 (London). */
  baseFee?: bigint
  /** EIP-4895 (Shanghai). */
  withdrawalsRoot?: Bytes
  /** EIP-4844 (Cancun). */
  blobGasUsed?: bigint
  excessBlobGas?: bigint
  /** EIP-4788 (Cancun). */
  parentBeaconRoot?: Bytes
  /** EIP-7685 (Prague). */
  requestsHash?: Bytes
  /** EIP-7928 (Amsterdam): keccak256 of the block access list's RLP. */
  blockAccessListHash?: Bytes
  /** EIP-7843 (Amsterdam): the beacon slot number. */
  slotNumber?: bigint
}

export interface AccessListEntry {
  address: Bytes
  storageKeys: Bytes[]
}

/** EIP-7702 authorization tuple. */
export interface Authorization {
  chainId: bigint
  address: Bytes
  nonce: bigint
  yParity: bigint
  r: bigint
  s: bigint
}

/** Transaction types: 0 legacy, 1 EIP-2930, 2 EIP-1559, 3 EIP-4844, 4 EIP-7702. */
export type TxType = 0 | 1 | 2 | 3 | 4

export interface TxData {
  type: TxType
  /** Absent for legacy transactions without EIP-155 (derived from v when present). */
  chainId?: bigint
  nonce: bigint
  /** Legacy and 2930. */
  gasPrice?: bigint
  /** 1559, 4844, 7702. */
  maxPriorityFeePerGas?: bigint
  maxFeePerGas?: bigint
  gasLimit: bigint
  /** `null` for contract creation (not allowed for types 3 and 4). */
  to: Bytes | null
  value: bigint
  data: Bytes
  accessList?: AccessListEntry[]
  /** 4844. */
  maxFeePerBlobGas?: bigint
  blobVersionedHashes?: Bytes[]
  /** 7702. */
  authorizationList?: Authorization[]
  /** Legacy: v as on the wire (27/28 or 35+2*chainId+{0,1}); typed: yParity (0/1). */
  v: bigint
  r: bigint
  s: bigint
}

/** The EIP-4844 network form's sidecar (PooledTransactions only). */
export interface BlobSidecar {
  /** 0 for the original wrapper; 1 for the EIP-7594 cell-proof wrapper. */
  version: number
  blobs: Bytes[]
  commitments: Bytes[]
  proofs: Bytes[]
}

export interface Withdrawal {
  index: bigint
  validatorIndex: bigint
  address: Bytes
  amount: bigint
}

export interface Log {
  address: Bytes
  topics: Bytes[]
  data: Bytes
}

export interface ReceiptData {
  type: TxType
  /** Post-Byzantium: status (empty = 0 / 0x01 = 1); before: the 32-byte post-state root. */
  postStateOrStatus: Bytes
  cumulativeGasUsed: bigint
  /** Absent in the eth/69 shape (the bloom is recomputed from the logs). */
  bloom?: Bytes
  logs: Log[]
}

/** Origin of a header query: a hash (32 bytes) or a number. */
export type HashOrNumber = { hash: Bytes } | { number: bigint }

export interface GetBlockHeadersRequest {
  origin: HashOrNumber
  amount: bigint
  skip: bigint
  reverse: boolean
}

/** Fork identifier (EIP-2124): CRC32 fork hash (4 bytes) and the next fork block/time (0 = none). */
export interface ForkId {
  hash: Bytes
  next: bigint
}

/** Status for eth/62 and eth/63 (no fork id). */
export interface StatusEth63 {
  version: number
  networkId: bigint
  td: bigint
  head: Bytes
  genesis: Bytes
}

/** Status for eth/64 to eth/68. */
export interface StatusEth64 extends StatusEth63 {
  forkId: ForkId
}

/** Status for eth/69: no total difficulty; the block range served instead. */
export interface StatusEth69 {
  version: number
  networkId: bigint
  genesis: Bytes
  forkId: ForkId
  earliestBlock: bigint
  latestBlock: bigint
  latestBlockHash: Bytes
}

export type Status = StatusEth63 | StatusEth64 | StatusEth69

export interface BlockRangeUpdate {
  earliestBlock: bigint
  latestBlock: bigint
  latestBlockHash: Bytes
}

export interface NewBlockHashesEntry {
  hash: Bytes
  number: bigint
}

/**
 * eth/70 partial receipts (EIP-7975): what is known of the block whose receipt list arrived
 * incomplete, for {@link checkPartialReceipts}.
 */
export interface PartialReceiptLimits {
  /** The block header's gas used (bounds the receipt count and the log bytes). */
  gasUsed: bigint
  /** The number of transactions in the block, when its body is known. */
  txCount?: number
  /** The gas limit of each transaction of the block, when its body is known (bounds each receipt's logs). */
  txGasLimits?: readonly bigint[]
  /** The least gas a transaction can use: 21,000 (4,500 from Amsterdam, as go-ethereum). */
  minTxGas?: bigint
}

/** eth/68 announcement: parallel arrays of types, sizes and hashes. */
export interface PooledTxAnnouncement {
  types: number[]
  sizes: number[]
  hashes: Bytes[]
}
